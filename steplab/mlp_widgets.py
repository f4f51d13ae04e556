"""Explorer for lesson 6.10: train the digits network with a chosen optimizer, learning rate
and batch size, and watch the training loss and the test accuracy per epoch.

Built like the explorers of :mod:`steplab.widgets` (ipywidgets controls, an ipympl figure whose
artists are updated in place, a cached pure compute); training runs take a moment, so every
control uses ``continuous_update=False``.
"""

from __future__ import annotations

import numpy as np

from . import optimizers as O
from .networks import MLP, digits, train
from .widgets import Explorer

__all__ = ["NetworkExplorer", "OPTIMIZERS"]

#: the optimizers of the explorer, each from its learning rate (book notation, UDL eqs.)
OPTIMIZERS = {
    "SGD (eq. 6.10)": lambda a: O.GradientDescent(alpha=a),
    "momentum (eq. 6.11)": lambda a: O.Momentum(alpha=a, beta=0.9),
    "Nesterov (eq. 6.12)": lambda a: O.Nesterov(alpha=a, beta=0.9),
    "Adam (eqs. 6.15-6.17)": lambda a: O.Adam(alpha=a, beta=0.9, gamma=0.999),
    "RMSProp": lambda a: O.RMSProp(alpha=a, gamma=0.9),
}


class NetworkExplorer(Explorer):
    """Optimizer, learning rate alpha (log slider) and batch size |B| for the digits MLP.

    The grey curve is the reference run (Adam, alpha = 0.01, batch 32) for comparison."""

    title = "Training the digits network (lesson 6.10): optimizer, learning rate, batch size"
    defaults = dict(optimizer="Adam (eqs. 6.15-6.17)", alpha=0.01, batch_size=32, epochs=6,
                    hidden=32, seed=0)
    figsize = (8.0, 3.2)

    def __init__(self, **params):
        data = digits(seed=0)
        self._data = data
        self._problems: dict = {}
        super().__init__(**params)

    def _problem(self, hidden):
        if hidden not in self._problems:
            self._problems[hidden] = MLP(self._data["x_train"], self._data["y_train"], hidden=hidden)
        return self._problems[hidden]

    def _build(self):
        import ipywidgets as W

        p = self.params
        self.controls["optimizer"] = W.Dropdown(options=list(OPTIMIZERS), value=p["optimizer"],
                                                description="optimizer",
                                                layout=W.Layout(width="290px"))
        self.controls["alpha"] = self._slider("log", "α (learning rate)", p["alpha"], -5, 0,
                                              step=0.25, continuous=False, readout_format=".1e")
        self.controls["batch_size"] = W.SelectionSlider(
            options=[1, 4, 16, 32, 64, 256, 1438], value=p["batch_size"], description="|B| (batch)",
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

    def _compute(self, optimizer, alpha, batch_size, epochs, hidden, seed):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}; got {optimizer!r}.")
        problem = self._problem(hidden)
        batch = None if batch_size >= problem.n else int(batch_size)
        return train(problem, OPTIMIZERS[optimizer](float(alpha)), problem.init(seed), epochs=epochs,
                     batch_size=batch, seed=seed, x_test=self._data["x_test"],
                     y_test=self._data["y_test"], label=optimizer)

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
