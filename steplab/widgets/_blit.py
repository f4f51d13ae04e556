"""Blitting: draw the static background once, then only the artists a control changed."""

from __future__ import annotations

import time


def _extent(artist):
    """Display box an animated artist can paint: its axes (a few pixels more, for markers on
    the edge); for an x (y) axis the strip below (left of) its axes, tick labels included."""
    from matplotlib.axis import XAxis, YAxis
    from matplotlib.transforms import Bbox

    bb = artist.axes.bbox
    if isinstance(artist, XAxis):
        return Bbox.from_extents(bb.x0 - 30, 0, bb.x1 + 30, bb.y0 + 4)
    if isinstance(artist, YAxis):
        return Bbox.from_extents(0, bb.y0 - 12, bb.x0 + 4, bb.y1 + 12)
    return Bbox.from_extents(bb.x0 - 9, bb.y0 - 9, bb.x1 + 9, bb.y1 + 9)


def _side_by_side(fig):
    """Tight layout for two surfaces that share the phi1 axis, with a gap wide enough that the
    last x tick label of the left panel and the first of the right one do not run together
    (they sit at the panels' edges: "10.0" and "-10.0")."""
    fig.tight_layout()
    fig.subplots_adjust(wspace=0.25)



class _Blitter:
    """Draw the figure once, then redraw only the animated artists (matplotlib blitting).

    Two layers of animated artists: ``slow`` ones change only with some controls (a heat map
    that depends on the curvatures, an axis whose limits follow the number of steps), the
    others with every update (paths, curves, texts). On every full draw (first display,
    resize) the ``draw_event`` handler saves the background, draws the slow layer, saves
    that too (``middle``) and draws the fast layer on top. ``update()`` restores ``middle``
    (or, when the slow layer changed, the background and then the slow layer: drawing an
    axis's tick labels costs more than the rest together), draws the fast layer and blits;
    works on Agg and on ipympl.
    """

    def __init__(self, fig, artists, slow=()):
        self.fig, self.artists, self.background, self.middle = fig, [], None, None
        self.slow = list(slow)
        self.full_draws = 0
        self.pending = False
        for a in artists:
            self.add(a)
        canvas = fig.canvas
        self._cid = canvas.mpl_connect("draw_event", self._on_draw)
        canvas.mpl_connect("resize_event", self._on_resize)
        # ipympl / webagg: the browser keeps the last frame and applies *diff* frames on top.
        # A frame that arrives while the previous one is still loading replaces it; if that
        # one was a full frame (first display, resize) the picture breaks. So a frame is
        # pushed at once only when the previous one was a diff sent a while ago; otherwise
        # the update marks the frame pending and sends a "draw" event, and the browser's
        # "draw" request (sent once it has the previous frame) gets the ready buffer.
        self.webagg = all(hasattr(canvas, a) for a in ("handle_draw", "send_event", "manager"))
        self.last_frame, self.last_full = 0.0, True
        if self.webagg:
            original = canvas.handle_draw

            def handle_draw(event, _original=original):
                if self.pending and self.background is not None:
                    self.pending = False
                    canvas._png_is_old = True
                    canvas.manager.refresh_all()       # send the blitted buffer
                else:
                    self.pending = False
                    _original(event)                   # a full draw
                self._sent()

            canvas.handle_draw = handle_draw

    #: seconds after a frame during which the next one waits for the browser's request
    SAFE_GAP = 0.15

    def _sent(self):
        self.last_frame = time.monotonic()
        self.last_full = getattr(self.fig.canvas, "_current_image_mode", "full") == "full"

    def _on_resize(self, event):
        self.background, self.middle, self.pending = None, None, False

    def add(self, artist):
        artist.set_animated(True)
        self.artists.append(artist)

    def _on_draw(self, event):
        canvas = self.fig.canvas
        if event is not None and event.canvas is not canvas:
            return
        self.background = canvas.copy_from_bbox(self.fig.bbox)
        self._draw_layers(slow=True)
        self.full_draws += 1

    def _redraw_slow(self, dirty):
        """On top of ``middle``, bring back the background where the ``dirty`` slow artists
        lie and draw there every slow artist that can reach it; then save ``middle`` again.
        So a new number of steps redraws one axis, not the heat map beside it."""
        canvas = self.fig.canvas
        canvas.restore_region(self.middle)
        regions = [_extent(a) for a in dirty]
        height = self.fig.bbox.height
        for r in regions:                       # agg's regions count rows from the top
            canvas.restore_region(self.background, xy=(0, 0), bbox=(
                max(r.x0, 0), max(height - r.y1, 0), r.x1, height - max(r.y0, 0)))
        for a in self.slow:
            if a.get_visible() and any(_extent(a).overlaps(r) for r in regions):
                self.fig.draw_artist(a)
        self.middle = canvas.copy_from_bbox(self.fig.bbox)

    def _draw_layers(self, slow, dirty=()):
        """Draw the slow layer (when ``slow``; then save it as ``middle``) and the fast one.
        With ``dirty`` (slow artists that changed) only their part of the slow layer.

        Drawing an animated *axis* updates its ticks, which are not animated: they would mark
        the figure stale, and pyplot (interactive, as in a notebook) answers a stale figure
        with ``draw_idle``: a full draw, whose draw event draws the layers again, and so on
        for ever. The figure's stale callback is therefore held while the layers are drawn."""
        fig = self.fig
        callback, fig.stale_callback = fig.stale_callback, None
        try:
            if dirty:
                self._redraw_slow(dirty)
            elif slow:
                for a in self.slow:
                    if a.get_visible():
                        fig.draw_artist(a)
                self.middle = fig.canvas.copy_from_bbox(fig.bbox)
            for a in self.artists:
                if a.get_visible() and not any(a is b for b in self.slow):
                    fig.draw_artist(a)
        finally:
            fig.stale_callback = callback
            fig.stale = False

    def full(self):
        """Full redraw (the draw event then refreshes the saved background)."""
        self.background = self.middle = None
        self.fig.canvas.draw_idle()

    def update(self, slow=False):
        """Redraw the fast layer, and the slow one too when ``slow``: ``True`` (all of it) or
        a list of the slow artists that changed (only where they lie)."""
        canvas = self.fig.canvas
        if self.background is None or self.middle is None:
            self.full()
            return
        if slow is True:
            canvas.restore_region(self.background)
            self._draw_layers(True)
            return self._show()
        if not slow:
            canvas.restore_region(self.middle)
        self._draw_layers(False, dirty=list(slow or ()))
        self._show()

    def _show(self):
        canvas = self.fig.canvas
        if not self.webagg:
            canvas.blit(self.fig.bbox)     # Agg: the buffer now holds the new frame
            return
        recent = time.monotonic() - self.last_frame < self.SAFE_GAP
        if self.last_full or recent or getattr(canvas, "_force_full", False):
            self.pending = True
            canvas.send_event("draw")      # the browser answers with a "draw" request
        else:
            canvas.blit(self.fig.bbox)     # webagg: sends the diff frame now
            self._sent()
