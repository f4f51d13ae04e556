"""The parallel class autograde against a real PostgreSQL gradebook (issue 7/7, part 2).

Starts Debian's PostgreSQL (installed by .ci/run) on a temp data dir and a free localhost
port, as the ``postgres`` user when the tests run as root. Missing binaries skip locally and
fail in CI (tests/support.py)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import class_fixtures as cf
import pytest
from support import skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_db_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--", *cmd] if runuser else \
        ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


@pytest.fixture(scope="module")
def postgres_url():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        skip_or_fail("PostgreSQL is not installed (apt-get install postgresql)")
    bindir = Path(bins[-1]).parent
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        skip_or_fail("psycopg2-binary is not installed in the venv")
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("no 'postgres' user to run the server as")
    data = Path(tempfile.mkdtemp(prefix="steplab-pg-"))
    if os.geteuid() == 0:
        os.chown(data, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    subprocess.run(_as_db_user([str(bindir / "initdb"), "-D", str(data / "db"), "-A",
                                "trust", "-U", "postgres", "--no-sync"]),
                   check=True, capture_output=True)
    subprocess.run(_as_db_user([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l",
                                str(data / "log"), "-w", "-t", "60", "-o",
                                f"-p {port} -k {data} -c listen_addresses=127.0.0.1 "
                                "-c fsync=off", "start"]), check=True, capture_output=True)
    try:
        import psycopg2

        for _ in range(50):
            try:
                conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres",
                                        dbname="postgres")
                break
            except psycopg2.OperationalError:
                time.sleep(0.2)
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(_as_db_user([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m",
                                    "immediate", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_parallel_autograde_on_postgres(tmp_path, postgres_url):
    from nbgrader.api import Gradebook

    from coursekit.autograde import autograde_class

    course = cf.make_course(tmp_path)
    cases = cf.class_submissions(course)
    chosen = ["good", "partial", "invalid_json", "memory_bomb", "edited_tests"]
    cf.write_class(course, {k: cases[k] for k in chosen})
    res = autograde_class(course, "tiny", workers=2, db_url=postgres_url,
                          limits=cf.fast_limits(), progress=False, log=lambda *a: None)
    assert not (course / "gradebook.db").exists()  # nothing went to SQLite

    def scores():
        with Gradebook(postgres_url) as gb:
            return {s.student.id: {g.name: g.score for nb in s.notebooks for g in nb.grades
                                   if g.name.startswith("test_")}
                    for s in gb.assignment_submissions("tiny")}

    from coursekit.autograde import resolve_db_url

    postgres_url = resolve_db_url(course, postgres_url)
    first = scores()
    assert sorted(first) == sorted(chosen)
    for student in chosen:
        gd, sq = cases[student]["expect"]
        assert first[student] == {"test_gd_step": gd, "test_sq_loss": sq}, student
    assert {r["student"] for r in res.results} == set(chosen)
    again = autograde_class(course, "tiny", workers=2, db_url=postgres_url,
                            limits=cf.fast_limits(), progress=False, report=False,
                            log=lambda *a: None)
    assert scores() == first
    assert again.csv_path.read_text() == res.csv_path.read_text()
