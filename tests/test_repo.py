"""Repository-level checks: the course layout, and pyproject.toml vs environment.yml."""

import re
import subprocess
import tomllib

from conftest import ROOT


def _norm(req: str) -> tuple[str, str]:
    req = req.strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    name, spec = m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")
    return name, spec


def _env_yml_deps():
    """The conda dependencies of environment.yml, without python/pip and the pip section.

    Parsed by hand (no PyYAML dependency): lines of the form '  - name spec' directly under
    'dependencies:'.
    """
    deps, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if in_deps and re.match(r"^  - [^ ]", line) and not line.strip().endswith(":"):
            name, spec = _norm(line.strip()[2:])
            if name not in ("python", "pip"):
                deps[name] = spec
    return deps


def test_environment_yml_matches_pyproject():
    # The two files must declare the same runtime dependencies with the same version pins,
    # so conda/Binder users get what pip users get.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = dict(_norm(r) for r in project["dependencies"])
    conda_deps = _env_yml_deps()
    assert pip_deps == conda_deps, (
        "pyproject.toml [project.dependencies] and environment.yml have drifted apart:\n"
        f"  only in pyproject: {sorted(set(pip_deps) - set(conda_deps))}\n"
        f"  only in environment.yml: {sorted(set(conda_deps) - set(pip_deps))}\n"
        f"  different pins: {[k for k in pip_deps if k in conda_deps and pip_deps[k] != conda_deps[k]]}"
    )


def test_nbgrader_pinned_for_jupyterlab4():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    spec = dict(_norm(r) for r in project["dependencies"])["nbgrader"]
    assert spec.startswith(">=0.9.6"), "nbgrader < 0.9.6 does not support JupyterLab 4"


def test_course_layout():
    for name in ["README.md", "Makefile", "pyproject.toml", "environment.yml", "nbgrader_config.py",
                 ".gitignore", ".ci/run", "chapters", "source", "release", "solutions", "tests",
                 "benchmarks", "steplab"]:
        assert (ROOT / name).exists(), f"{name} is missing from the course directory"


def test_student_state_is_never_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout
    for bad in ("submitted/", "autograded/", "feedback/", "gradebook.db", ".venv/"):
        assert not any(line.startswith(bad) for line in tracked.splitlines()), f"{bad} is tracked"


def test_ci_runs_the_readme_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test\b", ci, re.M), ".ci/run must call `make test`, the README's command"
