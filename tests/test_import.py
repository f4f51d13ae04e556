"""`import steplab` stays light: no plotting, widget or torch import (docs/design.md).
Import time itself is measured in benchmarks/bench_engine.py, not asserted here."""

import json
import subprocess
import sys

HEAVY = ["matplotlib", "ipywidgets", "ipympl", "torch", "concurrent.futures"]


def test_import_steplab_does_not_load_heavy_modules():
    code = ("import json, sys, steplab as sl; "
            "sl.minimize(sl.Quadratic([[1.0]]), sl.Adam(alpha=0.1), [1.0], steps=3); "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_public_names():
    import steplab as sl

    for name in ["GradientDescent", "SGD", "Momentum", "Nesterov", "NormalizedGD", "Adam",
                 "HeavyBall", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "AMSGrad", "NAdam",
                 "AdamW", "minimize", "Trajectory", "DivergenceError", "schedules", "data"]:
        assert hasattr(sl, name), name
        assert name in sl.__all__, name
    for name in ["constant", "linear_decay", "step_decay", "exponential", "cosine", "warmup"]:
        assert callable(getattr(sl.schedules, name)), name
