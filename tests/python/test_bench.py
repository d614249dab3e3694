"""The benchmarks of ``bench/run``, each run once at a tiny scale, so that what measures the
figures keeps working: every script must finish and print its ``summary`` line with the
ratio against its peer. The numbers themselves are never asserted (docs/design.md §10: performance is
measured in bench/, not in tests).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prerequisites import requires_root

ROOT = Path(__file__).resolve().parents[2]

pytestmark = requires_root("namespaces and OVS")


def summary(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("summary ")]
    assert len(lines) == 1, done.stdout
    return lines[0]


def test_install_against_ovs_ofctl(vtapctl):
    line = summary("install.py", "--sizes", "50", "--repeat", "1", "--build", str(vtapctl.parent))
    assert "native" in line and "the time of ovs-ofctl --bundle" in line


def test_dataplane_against_an_ovs_mirror():
    line = summary("dataplane.py", "--sizes", "64", "--seconds", "0.5", "--repeat", "1")
    assert "libvtap/Mirror receiver pps" in line


def test_latency_against_ovs_ofctl_and_a_mirror(vtapctl):
    line = summary("latency.py", "--trials", "3", "--build", str(vtapctl.parent))
    assert "Service.add -> first copy p50" in line and "ovs-ofctl bundle" in line and "Mirror" in line
    assert "first copy p50 >" not in line  # libvtap's copies arrived


def test_service_change_against_replanning_everything(vtapctl):
    line = summary("service_change.py", "--policies", "300", "--changes", "3", "--build", str(vtapctl.parent))
    assert "one add/remove costs" in line and "re-planning everything costs" in line


def test_api_against_the_library(vtapctl):
    line = summary("api.py", "--quick", "--build", str(vtapctl.parent))
    assert "POST -> first copy p50" in line and "Service.add's" in line and "creates/s" in line
    assert "> 2000 ms" not in line  # copies arrived through the API and the library


def test_cluster_against_a_central_vtapd(vtapctl):
    line = summary("cluster.py", "--quick", "--build", str(vtapctl.parent))
    assert "write -> every node applied" in line and "the central vtapd's" in line
    assert "n/a" not in line  # both modes measured


def test_cluster_stream_with_a_leader_failover(vtapctl):
    line = summary("cluster_stream.py", "--quick", "--build", str(vtapctl.parent))
    assert "per change with a leader failover" in line and "consistent" in line and "INCONSISTENT" not in line
