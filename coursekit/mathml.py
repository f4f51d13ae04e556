"""Equations for pages built from notebooks (feedback and check pages): Markdown to safe HTML
with ``$...$`` and ``$$...$$`` turned into MathML on the grading machine by latex2mathml, so a
browser draws them offline, without any script. The MathML is checked against an allow-list
of elements and attributes; what cannot be converted is shown as its TeX source."""

from __future__ import annotations

import functools
import html
import re

#: MathML elements and attributes a feedback page may contain; anything else in
#: latex2mathml's output means the page shows the TeX source instead
_MATHML_TAGS = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup",
                "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "mtable", "mtr", "mtd",
                "munder", "mover", "munderover", "menclose", "mpadded", "mphantom", "merror",
                "semantics", "annotation", "mmultiscripts", "mprescripts", "none"}
_MATHML_ATTRS = {"xmlns", "display", "mathvariant", "stretchy", "minsize", "maxsize", "width",
                 "height", "depth", "lspace", "rspace", "fence", "separator", "columnalign",
                 "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines",
                 "frame", "displaystyle", "scriptlevel", "linethickness", "accent",
                 "accentunder", "movablelimits", "notation", "mathsize", "form", "largeop",
                 "symmetric", "encoding", "voffset", "align", "linebreak"}
#: TeX that latex2mathml draws poorly or not at all, rewritten to what it draws well:
#: aligned equations as an array (columns alternately right and left), bracketed matrices
#: with \left ... \right so that the brackets stretch to the matrix's height
_REWRITES = [
    (re.compile(r"\\begin\{(?:aligned|align\*?|eqnarray\*?)\}"), r"\\begin{array}{rlrlrlrl}"),
    (re.compile(r"\\end\{(?:aligned|align\*?|eqnarray\*?)\}"), r"\\end{array}"),
    (re.compile(r"\\begin\{bmatrix\}"), r"\\left[\\begin{matrix}"),
    (re.compile(r"\\end\{bmatrix\}"), r"\\end{matrix}\\right]"),
    (re.compile(r"\\begin\{pmatrix\}"), r"\\left(\\begin{matrix}"),
    (re.compile(r"\\end\{pmatrix\}"), r"\\end{matrix}\\right)"),
]


def _safe_mathml(markup: str) -> bool:
    """True when ``markup`` is well-formed XML made only of allowed MathML elements and
    attributes (no link, script, style or event handler can come through)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(markup)
    except ET.ParseError:
        return False
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] not in _MATHML_TAGS:
            return False
        if any(a.rsplit("}", 1)[-1] not in _MATHML_ATTRS for a in el.attrib):
            return False
    return True


def tex_to_html(tex: str, display: bool = False) -> str:
    """An equation as MathML (drawn by the browser: offline, no script), or, when the TeX
    cannot be converted, its source in a code span: readable either way."""
    from latex2mathml.converter import convert

    source = tex.strip()
    for pattern, replacement in _REWRITES:
        source = pattern.sub(replacement, source)
    try:
        markup = convert(source, display="block" if display else "inline")
    except Exception:
        markup = None
    if markup and _safe_mathml(markup):
        return markup
    delim = "$$" if display else "$"
    return f'<code class="tex">{html.escape(delim + tex.strip() + delim)}</code>'


@functools.lru_cache(maxsize=1)
def _markdown():
    """Markdown to HTML: raw HTML escaped, tables, equations as MathML."""
    import mistune
    from mistune.plugins.math import parse_inline_math

    md = mistune.create_markdown(escape=True, plugins=["table", "math"])
    # Jupyter lets inline math run over a line break ($a +\n b$); mistune's pattern does not
    md.inline.register("inline_math", _INLINE_MATH, parse_inline_math, before="codespan")
    md.renderer.register("block_math", lambda _r, text: '<div class="math">'
                         + tex_to_html(text, display=True) + "</div>\n")
    md.renderer.register("inline_math", lambda _r, text: tex_to_html(text))
    return md


_INLINE_MATH = (r"\$\$(?P<display_math_text>(?:[^$\\]|\\.)*?)\$\$|"
                r"\$(?P<backtick_math_marker>`+)(?P<backtick_math_text>[\s\S]*?)"
                r"(?P=backtick_math_marker)\$|"
                r"\$(?!\$)(?!\s)(?P<math_text>(?:[^$\\\n]|\\.|\n(?![ \t]*\n))+?)\$(?!\d)")


def markdown_html(text: str) -> str:
    """A Markdown cell (instructions, a written answer, a note) as safe HTML."""
    return _markdown()(text)
