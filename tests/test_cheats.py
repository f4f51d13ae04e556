"""A class of cheaters (tests/cheats) graded through the real `python -m coursekit autograde`:
every technique scores 0 on the part it cheated, the honest parts of the same notebooks keep
their full points, and no results file is touched. Points per part come from the instructor
notebook's nbgrader metadata; correct answers from tests/submissions/problems.py."""

from __future__ import annotations

import csv
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import cheats
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "problems"
pytestmark = pytest.mark.slow


def _points(nb) -> dict[str, float]:
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and c.cell_type == "code"}


def _alternative() -> dict[str, str]:
    ns: dict = {}
    exec((ROOT / "tests" / "submissions" / f"{ASSIGNMENT}.py").read_text(), ns)
    return ns["ALTERNATIVE"]


def _code_id(test_id: str) -> str:
    return test_id.replace("_test", "_code")


class _Answers(http.server.BaseHTTPRequestHandler):
    """Serves the correct answer of any part: what the burglar's network cheat fetches."""

    answers: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.answers.get(self.path.strip("/"), "").encode()
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _host_ip() -> str:
    """An address of this machine other than loopback (the network namespace has neither)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent; picks the outgoing address
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not (ROOT / "source" / ASSIGNMENT).is_dir():
        pytest.skip(f"{ASSIGNMENT} is not in the course")
    tmp = tmp_path_factory.mktemp("cheats")
    course = tmp / "course"
    for sub in ("source", "release"):
        shutil.copytree(ROOT / sub / ASSIGNMENT, course / sub / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    good = _alternative()
    _Answers.answers = dict(good)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fill = {"{PORT}": str(server.server_address[1]), "{HOST_IP}": _host_ip(),
            "{COURSE}": str(course)}
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for student, spec in cheats.STUDENTS.items():
        answers = {_code_id(t): good[_code_id(t)] for t in spec["honest"]}
        for gid, code in spec["answers"].items():
            for key, value in fill.items():
                code = code.replace(key, value)
            answers[gid] = code
        nb = nbformat.read(release, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid].strip("\n")
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    submitted = {p: p.read_bytes() for p in (course / "submitted").rglob("*.ipynb")}
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "coursekit", "autograde", ASSIGNMENT, "--course",
             str(course), "--workers", "2", "--cell-timeout", "10", "--no-progress"],
            cwd=tmp, capture_output=True, text=True, env=env, timeout=900)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    with open(course / "reports" / ASSIGNMENT / "grades.csv") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    points = _points(nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4))
    table = [{"student": s, "part": t, "technique": tech, "max": points[t],
              "score": float(rows[s][f"{ASSIGNMENT}:{t}"] or 0)}
             for s, spec in cheats.STUDENTS.items() for t, tech in spec["cheats"].items()]
    out = os.environ.get("STEPLAB_CHEAT_TABLE")
    if out:  # the table of the closing note
        Path(out).write_text(json.dumps(table, indent=1))
    return {"course": course, "rows": rows, "points": points, "table": table,
            "stdout": done.stdout, "submitted": submitted}


def test_the_class_has_at_least_15_techniques():
    assert cheats.technique_count() >= 15


@pytest.mark.parametrize("student", sorted(cheats.STUDENTS))
def test_cheats_score_zero(graded, student):
    spec = cheats.STUDENTS[student]
    row = graded["rows"][student]
    got = {t: float(row[f"{ASSIGNMENT}:{t}"] or 0) for t in spec["cheats"]}
    assert got == {t: 0.0 for t in spec["cheats"]}, \
        {t: (got[t], spec["cheats"][t]) for t in got if got[t]}


@pytest.mark.parametrize("student", sorted(cheats.STUDENTS))
def test_honest_parts_keep_full_points(graded, student):
    row = graded["rows"][student]
    for t in cheats.STUDENTS[student]["honest"]:
        assert float(row[f"{ASSIGNMENT}:{t}"]) == graded["points"][t], (student, t)


def test_no_results_file_was_touched(graded):
    course = graded["course"]
    for path in course.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".ipynb", ".html", ".txt"):
            assert "saboteur" not in path.read_text(errors="replace"), path
    for path, data in graded["submitted"].items():
        assert path.read_bytes() == data, path


def test_summary_names_the_sandbox(graded):
    from coursekit import sandbox

    summary = (graded["course"] / "reports" / ASSIGNMENT / "summary.txt").read_text()
    assert f"sandbox: {sandbox.detect_isolation()}" in summary
    assert sandbox.label(sandbox.detect_isolation()) in summary
