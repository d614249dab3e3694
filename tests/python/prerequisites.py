"""Prerequisites of the Python tests: skipped locally, failed in CI.

Everything a test needs that ``scripts/test.sh`` installs or builds (root, Open vSwitch,
``vtapctl``, ``vtap._core``, libopenvswitch, pkg-config, ...) goes through :func:`missing`
or the :func:`requires` / :func:`requires_root` marks: when it is absent the test is
skipped on a developer's machine, but when env ``CI`` is set to a true value (``.ci/run``
sets it) the test fails, so a CI run can never pass by skipping.  Opt-in tests (an env
variable asking for extra work) are not prerequisites and use ``pytest.mark.skipif``.

The marks are applied by ``conftest.py`` (``pytest_runtest_setup``).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

MARK = "prerequisite"


def in_ci() -> bool:
    """Whether env ``CI`` is set to a true value (not empty, ``0``, ``false`` or ``no``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def missing(reason: str, *, at_test: bool = False) -> NoReturn:
    """Skip locally, fail in CI: a CI run must never pass by skipping.

    Also usable at module level (collection then fails in CI, or skips the module).
    ``at_test``: report the skip at the test's line, as ``skipif`` does, not at this one.
    """
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    if at_test:
        try:
            raise pytest.skip.Exception(reason, _use_item_location=True)
        except TypeError:  # a pytest without it (< 7): reported here, still skipped
            pass
    pytest.skip(reason, allow_module_level=True)


def requires(condition: bool, reason: str) -> pytest.MarkDecorator:
    """Like ``pytest.mark.skipif(not condition, reason=...)``, but through :func:`missing`.

    For a test function, class or module (``pytestmark = requires(...)``).
    """
    return getattr(pytest.mark, MARK)(bool(condition), reason=reason)


def requires_root(reason: str) -> pytest.MarkDecorator:
    """The test needs root (network namespaces, a system Open vSwitch, ...)."""
    return requires(os.geteuid() == 0, f"needs root: {reason}")


def check_marks(item: pytest.Item) -> None:
    """Called by conftest.py before each test: :func:`missing` for an unmet ``requires``."""
    for mark in item.iter_markers(name=MARK):
        if not mark.args[0]:
            missing(mark.kwargs["reason"], at_test=True)
