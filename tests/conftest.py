import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

# Notebooks under tests/ are fixtures (opened by the browser tests, built into synthetic
# classes), not lessons: nbval must not collect them.
collect_ignore_glob = ["browser_notebooks/*", "submissions/*", "class_fixtures/*"]

#: a lesson notebook must execute within this many seconds (issue: lessons run "in seconds")
NOTEBOOK_BUDGET_S = 20.0
_nb_time: dict = defaultdict(float)


def pytest_runtest_logreport(report):
    # Runs in the controlling process, also under xdist, with each item's measured duration.
    nb = report.nodeid.split("::")[0]
    if nb.endswith(".ipynb") and report.when in ("setup", "call"):
        _nb_time[nb] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _nb_time:
        return
    report = sorted(_nb_time.items(), key=lambda kv: -kv[1])
    tr = terminalreporter
    tr.section("notebook execution times")
    for nb, t in report:
        tr.write_line(f"{t:6.1f} s  {nb}")
    tr.write_line(f"{sum(_nb_time.values()):6.1f} s  total")
    slow = [nb for nb, t in report if t > NOTEBOOK_BUDGET_S]
    if slow:
        tr.write_line(f"FAILED: over the {NOTEBOOK_BUDGET_S:.0f} s budget per notebook: "
                      + ", ".join(slow), red=True)


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return  # xdist worker: the controller decides
    if any(t > NOTEBOOK_BUDGET_S for t in _nb_time.values()) and session.exitstatus == 0:
        session.exitstatus = 1
