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

    Parsed by hand (no PyYAML dependency): lines of the form '  - name=version' directly under
    'dependencies:'.
    """
    deps, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if in_deps and re.match(r"^  - [^ ]", line) and not line.strip().endswith(":"):
            name, _, version = line.strip()[2:].partition("=")
            if name not in ("python", "pip"):
                deps[_canon(name)] = version
    return deps


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_pins(python="3.11"):
    """requirements.lock as {name: version}, keeping the lines whose marker holds for `python`."""
    from packaging.markers import Marker

    env = {"python_version": python, "python_full_version": python + ".0"}
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)\s*(?:;([^\\]*))?", line)
        if m and (not m.group(3) or Marker(m.group(3).strip()).evaluate(env)):
            pins[_canon(m.group(1))] = m.group(2)
    return pins


def _pyproject_requirements():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs], [Requirement(r) for r in project["dependencies"]]


def test_lock_pins_every_requirement_of_pyproject_within_its_range():
    # requirements.lock is what `make lab`/`make test` install (--require-hashes --no-deps), so a
    # dependency added to pyproject.toml without `make lock` would be missing at run time.
    pins = _lock_pins()
    every, _ = _pyproject_requirements()
    missing = [str(r) for r in every if _canon(r.name) not in pins]
    outside = [f"{r} (lock has {pins[_canon(r.name)]})" for r in every
               if _canon(r.name) in pins and not r.specifier.contains(pins[_canon(r.name)], prereleases=True)]
    assert not missing and not outside, (
        "requirements.lock and pyproject.toml disagree; run `make lock` and commit the result.\n"
        f"  not in the lock: {missing}\n  pinned outside the range: {outside}")


def test_lock_has_a_hash_for_every_pin():
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2] if text.startswith("#") else text)
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=sha256:" not in b]
    assert not unhashed, f"pins without hashes in requirements.lock: {unhashed}"


def test_environment_yml_carries_the_lock_pins():
    # conda/Binder users get the versions pip users get: every runtime dependency of pyproject.toml,
    # pinned to the lock's version for Python 3.11 (environment.yml's python).
    pins = _lock_pins()
    _, runtime = _pyproject_requirements()
    expected = {_canon(r.name): pins.get(_canon(r.name)) for r in runtime}
    assert _env_yml_deps() == expected, (
        "environment.yml does not carry requirements.lock's pins; set each runtime dependency to "
        f"name=version as in the lock.\n  expected: {expected}\n  found: {_env_yml_deps()}")


def test_makefile_installs_from_the_lock():
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"--require-hashes --no-deps -r \$\(LOCK\)", make)
    assert "LOCK := requirements.lock" in make and re.search(r"^lock:", make, re.M)


def test_nbgrader_pinned_for_jupyterlab4():
    from packaging.version import Version

    assert Version(_lock_pins()["nbgrader"]) >= Version("0.9.6"), \
        "nbgrader < 0.9.6 does not support JupyterLab 4"


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

