"""Shared pytest fixtures for libvtap's Python tests.

* ``ovs``: a fresh private Open vSwitch (:class:`vtap.sandbox.OvsSandbox`) per
  test, stopped afterwards whatever happens.
* ``ovs_tunnels``: the same with real tunnel ports (``OvsSandbox(dummy="tunnels")``).
* ``vtapctl``: path of the built CLI: env ``VTAPCTL`` if set, else
  ``build/vtapctl`` under the repository root.

A missing prerequisite (Open vSwitch, ``vtapctl``, root, ...) skips the tests that need it,
except in CI (env ``CI`` set), where they fail: see ``prerequisites.py``.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from prerequisites import MARK, check_marks, missing
from vtap_import import import_vtap

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARK}(condition, reason): prerequisites.requires(); "
                            "skipped when the condition is false, failed in CI")
    # A SIGTERM (a CI job timing out, `timeout`, ...) would otherwise kill the
    # interpreter without running finalizers and leave daemons behind: turn
    # it into an exception so every fixture's teardown still runs.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def _terminate(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")
        signal.signal(signal.SIGTERM, _terminate)


def pytest_runtest_setup(item):
    check_marks(item)


def _sandbox(**options):
    """A started :class:`vtap.sandbox.OvsSandbox`, skipped (failed in CI) without Open vSwitch."""
    import_vtap()
    from vtap.sandbox import OvsSandbox, ovs_installed  # noqa: PLC0415

    if not ovs_installed():
        missing("Open vSwitch (ovsdb-server, ovs-vswitchd) is not installed")
    return OvsSandbox(**options)


@pytest.fixture
def ovs():
    """A started OvsSandbox (dummy datapath), stopped after the test."""
    with _sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def ovs_tunnels():
    """A started ``OvsSandbox(dummy="tunnels")``: VXLAN ports really encapsulate."""
    with _sandbox(dummy="tunnels") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def vtapctl() -> Path:
    """Path of the vtapctl binary under test."""
    configured = os.environ.get("VTAPCTL")
    if configured:
        path = Path(configured)
        if not path.is_absolute() and not path.exists():
            path = REPO_ROOT / path
    else:
        path = REPO_ROOT / "build" / "vtapctl"
    if not (path.is_file() and os.access(path, os.X_OK)):
        missing(f"vtapctl binary not found at {path} (build it, or set VTAPCTL)")
    return path.resolve()
