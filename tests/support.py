"""Helpers shared by the tests."""

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str):
    """A tool the tests need is missing: skip on a developer's machine, fail loudly in CI,
    where .ci/run is supposed to have installed it."""
    if IN_CI:
        pytest.fail(f"CI is supposed to provide this, but: {reason}", pytrace=False)
    pytest.skip(reason)
