"""A student's path through the course: `make lab` opens the index, which leads to the lessons and
to the student's own working copy of the exercises (`make exercises`, never overwriting); the
student lab hides the instructor's nbgrader tools, `make instructor` has them."""

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

STUDENT_CONFIG = ROOT / ".jupyter" / "student"
#: nbgrader's instructor-side lab plugins and server extensions
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list"]
INSTRUCTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list"]


def assignments():
    return sorted(p.name for p in (ROOT / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def _make(target, cwd, **env):
    return subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), target], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def _fake_course(tmp_path: Path) -> Path:
    (tmp_path / "release" / "adam" / "data").mkdir(parents=True)
    (tmp_path / "release" / "adam" / "adam.ipynb").write_text("release v1")
    (tmp_path / "release" / "adam" / "data" / "points.csv").write_text("1,2")
    (tmp_path / "release" / "sgd").mkdir()
    (tmp_path / "release" / "sgd" / "sgd.ipynb").write_text("sgd v1")
    return tmp_path


def test_make_exercises_copies_release_into_work(tmp_path):
    course = _fake_course(tmp_path)
    r = _make("exercises", course)
    assert r.returncode == 0, r.stderr
    assert (course / "work" / "adam" / "adam.ipynb").read_text() == "release v1"
    assert (course / "work" / "adam" / "data" / "points.csv").read_text() == "1,2"
    assert (course / "work" / "sgd" / "sgd.ipynb").read_text() == "sgd v1"
    assert "work/adam/adam.ipynb" in r.stdout


def test_make_exercises_never_overwrites_an_answer(tmp_path):
    course = _fake_course(tmp_path)
    _make("exercises", course)
    (course / "work" / "adam" / "adam.ipynb").write_text("my answers")
    # the course is updated: a new version of adam, and a new assignment
    (course / "release" / "adam" / "adam.ipynb").write_text("release v2")
    (course / "release" / "momentum").mkdir()
    (course / "release" / "momentum" / "momentum.ipynb").write_text("momentum v1")
    r = _make("exercises", course)
    assert r.returncode == 0, r.stderr
    assert (course / "work" / "adam" / "adam.ipynb").read_text() == "my answers"
    assert (course / "work" / "momentum" / "momentum.ipynb").read_text() == "momentum v1"
    assert "adam.ipynb" not in r.stdout and "momentum.ipynb" in r.stdout


def test_work_is_git_ignored():
    r = subprocess.run(["git", "check-ignore", "-q", "work/adam/adam.ipynb"], cwd=ROOT)
    assert r.returncode == 0, "work/ (the student's answers) must be git-ignored"


def test_index_links_every_exercise_in_the_working_copy():
    nb = json.loads((ROOT / "chapters" / "00_index.ipynb").read_text())
    md = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for a in assignments():
        assert f"(../work/{a}/{a}.ipynb)" in md, f"00_index does not link work/{a}/{a}.ipynb"
    assert "make check" in md


def _installed_lab_plugins() -> set[str]:
    static = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    text = "".join(p.read_text(errors="ignore") for p in static.glob("*.js"))
    return set(re.findall(r"@jupyter/nbgrader:[a-z-]+", text))


def test_student_config_names_nbgrader_plugins_that_exist():
    # a renamed plugin in a new nbgrader would silently come back into the student lab
    page = json.loads((STUDENT_CONFIG / "labconfig" / "page_config.json").read_text())
    disabled = {k for k, v in page["disabledExtensions"].items() if v}
    assert disabled == set(INSTRUCTOR_PLUGINS)
    assert disabled <= _installed_lab_plugins()
    server = json.loads((STUDENT_CONFIG / "jupyter_server_config.json").read_text())
    ext = server["ServerApp"]["jpserver_extensions"]
    assert all(ext[name] is False for name in INSTRUCTOR_SERVER_EXTENSIONS)
    import importlib
    for name in INSTRUCTOR_SERVER_EXTENSIONS:
        importlib.import_module(name)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


@pytest.mark.slow
@pytest.mark.parametrize("who", ["student", "instructor"])
def test_lab_serves_the_right_tools(who, tmp_path):
    """Start the server exactly as `make lab` / `make instructor` would (their commands, from
    `make -n`), and ask it what it serves."""
    if shutil.which("make") is None:
        pytest.skip("make is missing")
    port, token = _free_port(), "t0k3n"
    target = "lab" if who == "student" else "instructor"
    dry = subprocess.run(["make", "-n", target, f"LAB_ARGS=--no-browser --ServerApp.port={port} "
                          f"--IdentityProvider.token={token} --ServerApp.port_retries=0"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = [ln for ln in dry.splitlines() if "jupyter lab" in ln][-1]
    argv = shlex.split(line)
    env_vars = {}
    while "=" in argv[0] and not argv[0].startswith(("/", ".")):
        k, _, v = argv.pop(0).partition("=")
        env_vars[k] = v
    import os
    env = {**os.environ, **env_vars, "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 120 s")
        _, listing = _get(f"{base}/api/contents?token={token}")
        names = {c["name"] for c in json.loads(listing)["content"]}
        _, page = _get(f"{base}/lab?token={token}")
        formgrader, _ = _get(f"{base}/formgrader?token={token}")
        if who == "student":
            # `make lab` first runs `make exercises`, which creates work/ (not run here, to
            # leave the checkout alone): its recipe must be part of the dry run
            assert "chapters" in names
            assert "release/*/" in dry and "work/" in dry
            assert not names & {"source", "solutions", "coursekit", "release"}, names
            for plugin in INSTRUCTOR_PLUGINS:
                assert plugin in page, f"{plugin} is not disabled in the student lab"
            assert formgrader == 404
            assert "chapters/00_index.ipynb" in line
        else:
            assert {"chapters", "source", "release", "solutions"} <= names
            assert not any(p in page for p in INSTRUCTOR_PLUGINS)
            assert formgrader == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
