"""Explorer for lesson 6.10: train the digits network with a chosen optimizer, learning rate
and batch size, and watch the training loss and the test accuracy per epoch.

Built like the explorers of :mod:`steplab.widgets` (ipywidgets controls, an ipympl figure whose
artists are updated in place and blitted, a cached pure compute). One training run takes from
10 ms (full batch) to a few hundred ms (batches of 8), far more than a control may take, so the
controls offer a fixed grid of settings (:data:`ALPHAS`, :data:`BATCH_SIZES`, the optimizers
of :data:`OPTIMIZERS`) and a background thread trains every setting of that grid once, nearest
to the current one first, while the learner reads; a control then only draws a stored run.
A setting that is not stored yet is trained at once, in the learner's thread. Every stored run
is exactly what :func:`steplab.networks.train` returns for its settings (seeded, so the order in
which the thread works does not matter).
"""

from __future__ import annotations

import threading

import numpy as np

from . import _validate as V
from . import optimizers as O
from .networks import MLP, digits, train
from .widgets import Explorer

__all__ = ["NetworkExplorer", "OPTIMIZERS", "ALPHAS", "BATCH_SIZES"]

#: the optimizers of the explorer, each from its learning rate (book notation, UDL eqs.)
OPTIMIZERS = {
    "SGD (eq. 6.10)": lambda a: O.GradientDescent(alpha=a),
    "momentum (eq. 6.11)": lambda a: O.Momentum(alpha=a, beta=0.9),
    "Nesterov (eq. 6.12)": lambda a: O.Nesterov(alpha=a, beta=0.9),
    "Adam (eqs. 6.15-6.17)": lambda a: O.Adam(alpha=a, beta=0.9, gamma=0.999),
    "RMSProp": lambda a: O.RMSProp(alpha=a, gamma=0.9),
}

#: the learning rates of the α slider: 1, 2 and 5 times the powers of ten from 1e-4 to 1
ALPHAS = tuple(float(f"{m}e{e}") for e in range(-4, 0) for m in (1, 2, 5)) + (1.0,)

#: the batch sizes of the |B| slider; a batch as large as the training set (1438 digits) is
#: full-batch gradient descent
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 1438)


def _with(options, value):
    """``options`` with ``value`` added in sorted place (a constructor value off the grid)."""
    return tuple(sorted(set(options) | {value}))


def _nearest(options, value) -> int:
    """Index of the positive option nearest to ``value`` on a log scale (0 for a value that
    is not a positive number)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0
    if not value > 0:
        return 0
    return int(np.argmin(np.abs(np.log(np.asarray(options, float)) - np.log(value))))


class _Records:
    """Training records by their settings, each computed once: by whoever asks first (the
    learner's thread or the precompute thread); a second asker calls ``before_wait()`` and
    waits for that run instead of starting its own."""

    def __init__(self, run, before_wait=lambda: None):
        self._run, self._before_wait = run, before_wait
        self._done: dict = {}
        self._running: set = set()
        self._cond = threading.Condition()

    def __contains__(self, key):
        with self._cond:
            return key in self._done or key in self._running

    def __len__(self):
        return len(self._done)

    def get(self, key):
        with self._cond:
            while key in self._running:
                self._before_wait()
                self._cond.wait()
            if key in self._done:
                return self._done[key]
            self._running.add(key)
        try:
            record = self._run(key)
        except BaseException:
            with self._cond:
                self._running.discard(key)
                self._cond.notify_all()
            raise
        with self._cond:
            self._done[key] = record
            self._running.discard(key)
            self._cond.notify_all()
        return record


class _Pausable:
    """The problem as the precompute thread sees it: the same problem, whose ``grad`` first
    waits until the learner's thread is not busy (so a control never waits for a core the
    precompute holds). It returns exactly what the problem's ``grad`` returns."""

    def __init__(self, problem, go: threading.Event):
        self._problem, self._go = problem, go

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def grad(self, phi, idx=None):
        self._go.wait()
        return self._problem.grad(phi, idx)


class NetworkExplorer(Explorer):
    """Optimizer, learning rate alpha and batch size |B| for the digits MLP.

    The grey curve is the reference run (Adam, alpha = 0.01, batch 32) for comparison.
    ``alpha`` and ``batch_size`` are read from :data:`ALPHAS` and :data:`BATCH_SIZES` (a
    constructor value outside them is added to its slider). With ``precompute=True`` (the
    default) a background thread trains every grid setting for the current ``epochs``,
    ``hidden`` and ``seed`` (455 runs, about 15 s of one core), nearest settings first;
    :meth:`wait` waits for it, :meth:`close` stops it. A change of ``epochs``, ``hidden`` or ``seed``
    starts it again for the new grid. :meth:`clear_cache` keeps the stored runs: they are the
    explorer's data, computed once (like the loss surface of the other explorers)."""

    title = "Training the digits network (lesson 6.10): optimizer, learning rate, batch size"
    defaults = dict(optimizer="Adam (eqs. 6.15-6.17)", alpha=0.01, batch_size=32, epochs=6,
                    hidden=32, seed=0)
    figsize = (8.0, 3.2)

    def __init__(self, precompute: bool = True, **params):
        V.flag(precompute, "precompute")
        self._data = digits(seed=0)
        self._problems: dict = {}
        self._go = threading.Event()       # set: the precompute thread may run
        self._go.set()
        self._records = _Records(self._train, before_wait=self._go.set)
        self._stop = threading.Event()
        self._complete: set = set()        # (epochs, hidden, seed) whose grid is all stored
        if not precompute:
            self._stop.set()
        self._worker = None
        super().__init__(**params)         # its first update() starts the precompute thread

    def update(self, **params):
        self._go.clear()                   # the precompute thread pauses meanwhile
        try:
            super().update(**params)
        finally:
            self._go.set()
        idle = self._worker is None or not self._worker.is_alive()
        if idle and not self._stop.is_set() and not self.ready:
            self._worker = threading.Thread(target=self._precompute, daemon=True,
                                            name="NetworkExplorer-precompute")
            self._worker.start()
        return self

    def _problem(self, hidden):
        if hidden not in self._problems:
            self._problems[hidden] = MLP(self._data["x_train"], self._data["y_train"], hidden=hidden)
        return self._problems[hidden]

    def _build(self):
        import ipywidgets as W

        p = self.params
        self.alphas = _with(ALPHAS, V.rate(p["alpha"], "alpha"))
        self.batch_sizes = _with(BATCH_SIZES, V.positive_int(p["batch_size"], "batch_size"))
        self.controls["optimizer"] = W.Dropdown(options=list(OPTIMIZERS), value=p["optimizer"],
                                                description="optimizer",
                                                layout=W.Layout(width="290px"))
        self.controls["alpha"] = W.SelectionSlider(
            options=list(self.alphas), value=float(p["alpha"]),
            description="α (learning rate)", continuous_update=False,
            layout=W.Layout(width="290px"), style={"description_width": "initial"})
        self.controls["batch_size"] = W.SelectionSlider(
            options=list(self.batch_sizes), value=int(p["batch_size"]), description="|B| (batch)",
            continuous_update=False, layout=W.Layout(width="290px"),
            style={"description_width": "initial"})
        ax_loss, ax_acc = self.fig.subplots(1, 2)
        self.axes = (ax_loss, ax_acc)
        ax_loss.set(xlabel="epoch", ylabel="training loss per example", yscale="log")
        ax_acc.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
        ref = self.compute(optimizer="Adam (eqs. 6.15-6.17)", alpha=0.01, batch_size=32)
        n = self._problem(p["hidden"]).n
        epochs = np.arange(len(ref.loss))
        ax_loss.plot(epochs, ref.loss / n, color="0.7", lw=2, label="reference: Adam, α=0.01, |B|=32")
        ax_acc.plot(epochs, ref.test_accuracy, color="0.7", lw=2)
        (self.loss_line,) = ax_loss.plot([], [], "o-", ms=3, color="C3", label="this run")
        (self.acc_line,) = ax_acc.plot([], [], "o-", ms=3, color="C3")
        self._animate(self.loss_line, self.acc_line)
        ax_loss.set_xlim(0, p["epochs"])
        ax_acc.set_xlim(0, p["epochs"])
        ax_loss.set_ylim(1e-2, 10)
        ax_loss.legend(fontsize=7, loc="lower left")
        self.fig.tight_layout()

    # -- computing: one stored training run per setting ---------------------------------------
    @staticmethod
    def _settings(optimizer, alpha, batch_size, epochs, hidden, seed):
        """The key of one training run, its values checked (a clear error for a bad one)."""
        return (V.choice(optimizer, "optimizer", list(OPTIMIZERS)), V.rate(alpha, "alpha"),
                V.positive_int(batch_size, "batch_size"), V.positive_int(epochs, "epochs"),
                V.positive_int(hidden, "hidden"), V.seed(seed))

    def _train(self, settings):
        """The training run of ``settings`` (a :meth:`_settings` tuple): plain :func:`train`
        (in the precompute thread on the :class:`_Pausable` view of the same problem)."""
        optimizer, alpha, batch_size, epochs, hidden, seed = settings
        problem = self._problem(hidden)
        if threading.current_thread() is self._worker:
            problem = _Pausable(problem, self._go)
        batch = None if batch_size >= problem.n else batch_size
        return train(problem, OPTIMIZERS[optimizer](alpha), problem.init(seed), epochs=epochs,
                     batch_size=batch, seed=seed, x_test=self._data["x_test"],
                     y_test=self._data["y_test"], label=optimizer)

    def _compute(self, optimizer, alpha, batch_size, epochs, hidden, seed):
        key = self._settings(optimizer, alpha, batch_size, epochs, hidden, seed)
        self._problem(key[4])                  # made here, not in the precompute thread
        return self._records.get(key)

    # -- the precompute thread ------------------------------------------------------------------
    def _next_settings(self):
        """The grid setting not yet trained that lies nearest to the current parameters (fewest
        slider steps away; among equals the cheapest, i.e. the largest batch), or None."""
        p = dict(self.params)
        here = (list(OPTIMIZERS).index(p["optimizer"]), _nearest(self.alphas, p["alpha"]),
                _nearest(self.batch_sizes, p["batch_size"]))
        best, best_rank = None, None
        for o, name in enumerate(OPTIMIZERS):
            for a, alpha in enumerate(self.alphas):
                for b, batch in enumerate(self.batch_sizes):
                    key = self._settings(name, alpha, batch, p["epochs"], p["hidden"], p["seed"])
                    if key in self._records:
                        continue
                    rank = (int(o != here[0]) + abs(a - here[1]) + abs(b - here[2]), -batch)
                    if best_rank is None or rank < best_rank:
                        best, best_rank = key, rank
        return best

    def _precompute(self):
        while not self._stop.is_set():
            try:
                key = self._next_settings()
                if key is None:
                    return
                self._records.get(key)
            except ValueError:  # bad parameters: the learner's own update says so
                return

    @property
    def ready(self) -> bool:
        """Whether every grid setting for the current parameters is trained and stored (True
        for parameters that cannot be trained: there is nothing to wait for)."""
        try:
            grid = self._settings(**self.params)[3:]          # (epochs, hidden, seed)
            if grid not in self._complete and self._next_settings() is None:
                self._complete.add(grid)                     # stored runs are never dropped
        except ValueError:
            return True
        return grid in self._complete

    def wait(self, timeout: float | None = None) -> bool:
        """Wait (at most ``timeout`` seconds) for the precompute thread; return :attr:`ready`."""
        if self._worker is not None:
            self._worker.join(timeout)
        return self.ready

    def close(self):
        """Stop the precompute thread (the runs stored so far stay)."""
        self._stop.set()
        self._go.set()
        if self._worker is not None:
            self._worker.join()

    # -- drawing ----------------------------------------------------------------------------------
    def _draw(self, rec):
        n = self._problem(self.params["hidden"]).n
        epochs = np.arange(len(rec.loss))
        loss = np.where(np.isfinite(rec.loss), rec.loss / n, np.nan)
        self.loss_line.set_data(epochs, np.clip(loss, 1e-2, 10))
        self.acc_line.set_data(epochs, rec.test_accuracy)
        if rec.diverged:
            self._warn = True
            return (f"{rec.label}, α = {self.params['alpha']:.1e}: the loss became infinite or NaN "
                    "- try a smaller learning rate.")
        self._warn = False
        return (f"{rec.label}, α = {self.params['alpha']:.1e}, |B| = {self.params['batch_size']}: "
                f"{rec.steps} steps, loss per example {loss[-1]:.3f}, "
                f"test accuracy {100 * rec.test_accuracy[-1]:.1f}%")
