"""``vtapctl serve`` and its control commands against a real ovs-vswitchd: policies added
and removed through the control socket, counters, a switch daemon killed and restarted
(the service reinstalls), and a restarted service that sends nothing when nothing changed.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from test_apply_integration import POLICIES, dump_state, reference_state, switch_args
from topo_helpers import Network, compile_ok, tcp, topology
from vtap.sandbox import LoggedProcess  # importable once topo_helpers has imported vtap


class Serve(LoggedProcess):
    """A running ``vtapctl serve``, stopped (SIGTERM, then SIGKILL) on every exit path."""

    def __init__(self, vtapctl: Path, net: Network, workdir: Path):
        self.vtapctl, self.state = vtapctl, workdir / "state.json"
        super().__init__([vtapctl, "serve", "--topology", workdir / "topology.json", "--state", self.state,
                          "--interval=100", *switch_args(net)], workdir / "serve.log")
        try:
            self.wait_for("control socket")
        except BaseException:
            self.stop()
            raise

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.vtapctl), *args, "--state", str(self.state)],
                                capture_output=True, text=True, timeout=60)
        assert not check or result.returncode == 0, result.stderr
        return result



@pytest.fixture
def served(ovs, vtapctl, tmp_path):
    topo = topology("2sw-monitor-at-receiver")
    out = compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    serve = Serve(vtapctl, net, tmp_path)
    try:
        yield serve, net, out
    finally:
        serve.stop()


def installed_equals_compiled(net: Network, out: Path) -> bool:
    return all(dump_state(net, s) == reference_state(net, out, s) for s in net.topo.switches)


def test_add_list_stats_remove_through_the_control_socket(served, tmp_path):
    serve, net, out = served
    assert "added policy 1" in serve.ctl("add", "--policies", str(tmp_path / "policies.json")).stdout
    assert installed_equals_compiled(net, out)
    listed = json.loads(serve.ctl("list").stdout)["policies"]
    assert [p["id"] for p in listed] == [1, 2, 3]
    assert json.loads((tmp_path / "state.json").read_text())["policies"] == listed

    frame = tcp("vm1", "vm2", dport=80)
    for _ in range(2):
        net.deliver("vm1", frame)
    net.ovs.appctl("revalidator/purge")
    rows = {int(line.split()[0]): line.split()[1:] for line in serve.ctl("stats").stdout.splitlines()[1:]}
    assert rows[1][0] == "2" and rows[1][2] == "2", rows  # policy 1: 2 packets matched, 2 copies
    assert rows[3][0] == "0", rows

    # An unknown id removes nothing; a bad policy file adds nothing.
    bad = serve.ctl("remove", "1", "99", check=False)
    assert bad.returncode == 1 and "no policy 99" in bad.stderr
    assert len(json.loads(serve.ctl("list").stdout)["policies"]) == 3
    assert "removed policy 1" in serve.ctl("remove", "1", "2", "3").stdout
    assert all(dump_state(net, s)[0] == [] for s in net.topo.switches)


def test_a_crashed_switch_is_repaired_and_a_restarted_service_sends_nothing(served, vtapctl, tmp_path):
    serve, net, out = served
    serve.ctl("add", "--policies", str(tmp_path / "policies.json"))
    for round_ in range(3):
        net.ovs.crash_and_restart_vswitchd()
        serve.wait_for("switch_connected s1", count=round_ + 2)
        serve.wait_for("switch_connected s2", count=round_ + 2)
        serve.wait_for("drift_repaired s2", count=round_ + 1)
        deadline = time.monotonic() + 10
        while not installed_equals_compiled(net, out):
            assert time.monotonic() < deadline, "serve did not reinstall after the crash"
            time.sleep(0.1)
    serve.stop()
    before = serve.log.read_text()
    again = Serve(vtapctl, net, tmp_path)
    try:
        time.sleep(0.5)  # a few reconcile periods
        printed = again.log.read_text()[len(before):]
        assert "drift_repaired" not in printed and "failed" not in printed, printed
        assert installed_equals_compiled(net, out)
    finally:
        again.stop()


def test_commands_without_a_running_serve_fail_clearly(vtapctl, tmp_path):
    result = subprocess.run([str(vtapctl), "list", "--state", str(tmp_path / "none.json")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "cannot connect to vtapctl serve" in result.stderr
