"""A class of cheaters (tests/cheats) graded through the real `python -m coursekit autograde`:
every technique scores 0 on the part it cheated, the honest parts of the same notebooks keep
their full points, and no results file is touched. Points per part come from the instructor
notebooks' nbgrader metadata; correct answers from tests/submissions/<assignment>.py."""

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
ASSIGNMENTS = sorted({s["assignment"] for s in cheats.STUDENTS.values()})
MARK = "sabo" + "teur-was-here"  # what the saboteur writes (not spelled in its source)
pytestmark = pytest.mark.slow


def _points(nb) -> dict[str, float]:
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and c.cell_type == "code"}


def _alternative(assignment: str) -> dict[str, str]:
    ns: dict = {}
    exec((ROOT / "tests" / "submissions" / f"{assignment}.py").read_text(), ns)
    return ns["ALTERNATIVE"]


def _answer_id(test_id: str) -> str:
    """The answer cell a test cell grades: ``test_X`` -> ``X``, ``X_tests`` -> ``X``."""
    return test_id[len("test_"):] if test_id.startswith("test_") else test_id[:-len("_tests")]


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


def _write_class(course: Path, fill: dict) -> None:
    for student, spec in cheats.STUDENTS.items():
        a = spec["assignment"]
        good = _alternative(a)
        answers = {_answer_id(t): good[_answer_id(t)] for t in spec["honest"]}
        for gid, code in spec["answers"].items():
            for key, value in fill.items():
                code = code.replace(key, value)
            answers[gid] = code
        nb = nbformat.read(course / "release" / a / f"{a}.ipynb", as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid].strip("\n")
        folder = course / "submitted" / student / a
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{a}.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    for a in ASSIGNMENTS:
        if not (ROOT / "source" / a).is_dir():
            pytest.skip(f"{a} is not in the course")
    tmp = tmp_path_factory.mktemp("cheats")
    course = tmp / "course"
    for a in ASSIGNMENTS:
        for sub in ("source", "release"):
            shutil.copytree(ROOT / sub / a, course / sub / a)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    _Answers.answers = {k: v for a in ASSIGNMENTS for k, v in _alternative(a).items()}
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _write_class(course, {"{PORT}": str(server.server_address[1]), "{HOST_IP}": _host_ip(),
                          "{COURSE}": str(course)})
    submitted = {p: p.read_bytes() for p in (course / "submitted").rglob("*.ipynb")}
    env = dict(os.environ, MPLBACKEND="Agg")
    rows, summaries, points = {}, {}, {}
    try:
        for a in ASSIGNMENTS:
            done = subprocess.run(
                [sys.executable, "-m", "coursekit", "autograde", a, "--course", str(course),
                 "--workers", "2", "--cell-timeout", "10", "--no-progress", "--no-report"],
                cwd=tmp, capture_output=True, text=True, env=env, timeout=900)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
            with open(course / "reports" / a / "grades.csv") as fh:
                rows.update({(a, r["student"]): r for r in csv.DictReader(fh)})
            summaries[a] = (course / "reports" / a / "summary.txt").read_text()
            points[a] = _points(nbformat.read(course / "source" / a / f"{a}.ipynb", 4))
    finally:
        server.shutdown()
        server.server_close()
    table = [{"student": s, "assignment": spec["assignment"], "part": t, "technique": tech,
              "max": points[spec["assignment"]][t],
              "score": float(rows[spec["assignment"], s][f"{spec['assignment']}:{t}"] or 0)}
             for s, spec in cheats.STUDENTS.items() for t, tech in spec["cheats"].items()]
    out = os.environ.get("STEPLAB_CHEAT_TABLE")
    if out:  # the table of the closing note
        Path(out).write_text(json.dumps({"table": table, "summaries": summaries}, indent=1))
    return {"course": course, "rows": rows, "points": points, "table": table,
            "summaries": summaries, "submitted": submitted}


def test_the_class_has_at_least_15_techniques():
    assert cheats.technique_count() >= 15


def _sandboxed() -> bool:
    from coursekit import sandbox

    return sandbox.is_bwrap(sandbox.detect_isolation())


@pytest.mark.parametrize("student", sorted(cheats.STUDENTS))
def test_cheats_score_zero(graded, student):
    """Every technique scores 0; in the rlimits fallback (no bubblewrap) those that read or
    write the machine's files are left out: only the sandbox stops them."""
    spec = cheats.STUDENTS[student]
    a = spec["assignment"]
    row = graded["rows"][a, student]
    parts = [t for t in spec["cheats"]
             if _sandboxed() or (student, t) not in cheats.NEEDS_SANDBOX]
    got = {t: float(row[f"{a}:{t}"] or 0) for t in parts}
    assert got == {t: 0.0 for t in parts}, \
        {t: (got[t], spec["cheats"][t]) for t in got if got[t]}


@pytest.mark.parametrize("student", sorted(cheats.STUDENTS))
def test_honest_parts_keep_full_points(graded, student):
    spec = cheats.STUDENTS[student]
    a = spec["assignment"]
    for t in spec["honest"]:
        assert float(graded["rows"][a, student][f"{a}:{t}"]) == graded["points"][a][t], \
            (student, t)


def test_no_results_file_was_touched(graded):
    if not _sandboxed():
        pytest.skip("without bubblewrap the kernel can write the grader's files")
    course = graded["course"]
    for path in course.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".ipynb", ".html", ".txt", ".db"):
            assert MARK.encode() not in path.read_bytes(), path
    for path, data in graded["submitted"].items():
        assert path.read_bytes() == data, path


def test_summary_names_the_sandbox(graded):
    from coursekit import sandbox

    mode = sandbox.detect_isolation()
    for text in graded["summaries"].values():
        assert f"sandbox: {mode} ({sandbox.label(mode)})" in text
