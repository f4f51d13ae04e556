"""What the bubblewrap sandbox costs per kernel start: ``python -c "import steplab"`` launched
through the sandbox (bubblewrap, when it can run here) against the rlimits-only launcher, runs
interleaved in one process; and building the grading copy of the engine, cold and cached.

    .venv/bin/python benchmarks/bench_sandbox.py [REPEATS]

Prints medians and ratios; timings on a shared machine are noisy, compare the ratios."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coursekit import grading_engine, sandbox


def _launch(isolation: str, spec_path: str) -> float:
    cmd = sandbox.wrap_command([sys.executable, "-c", "import steplab"], spec_path, isolation)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main(repeats: int = 10) -> None:
    mode = sandbox.detect_isolation()
    with tempfile.TemporaryDirectory() as tmp:
        kdir = Path(tmp) / "k"
        kdir.mkdir()
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"cwd": str(kdir), "env": {"PATH": "/usr/bin:/bin"},
                                    "limits": {"as": 2**31}}))
        times: dict[str, list[float]] = {mode: [], sandbox.RLIMITS: []}
        for _ in range(repeats):
            for m in times:
                times[m].append(_launch(m, str(spec)))
        base = statistics.median(times[sandbox.RLIMITS])
        for m, ts in times.items():
            med = statistics.median(ts)
            print(f"{sandbox.label(m):30s} median {med * 1e3:7.1f} ms  ({med / base:.2f}x)")
        cold, warm = [], []
        for i in range(repeats):
            cache = Path(tmp) / f"cache{i}"
            t0 = time.perf_counter()
            grading_engine.build("adam", cache=cache)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            grading_engine.build("adam", cache=cache)
            warm.append(time.perf_counter() - t0)
        print(f"grading copy of the engine: cold {statistics.median(cold) * 1e3:.1f} ms, "
              f"cached {statistics.median(warm) * 1e3:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
