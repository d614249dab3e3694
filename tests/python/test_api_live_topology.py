"""``vtapctl serve --db``: vtapd takes its topology from Open vSwitch's database and follows it
live. A receiver that moves to another bridge keeps being tapped, a monitor that goes away
makes the policy inactive and its return makes it active again; after each step the switches
hold what ``vtapctl compile`` gives for what ``vtapctl discover`` reads (the oracle).
"""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from prerequisites import requires
from vtap_import import import_vtap
from vtapd import Vtapd

vtap = import_vtap()
pytestmark = requires(vtap.HAVE_OPENVSWITCH, "vtapctl was built without libopenvswitch")

VMS = {"vm1": ("fa:00:00:00:00:01", "10.1.1.1"), "vm2": ("fa:00:00:00:00:02", "10.1.1.2"),
       "vm3": ("fa:00:00:00:00:03", "10.1.1.3")}
POLICY = {"name": "web", "sender": {"mac": VMS["vm1"][0]}, "receiver": {"mac": VMS["vm2"][0]},
          "monitor": {"mac": VMS["vm3"][0]}, "filter": "tcp"}
BRIDGES = ("br-a", "br-b")


def plug(ovs, bridge: str, vm: str, ofport: int) -> None:
    mac, ip = VMS[vm]
    ovs.vsctl("add-port", bridge, vm, "--", "set", "interface", vm, "type=dummy", f"ofport_request={ofport}",
              f"external_ids:attached-mac={mac}", f"external_ids:iface-id=port-{vm}", f"external_ids:ip={ip}")
    ovs.check_ofport(vm, ofport)


def dump(ovs, bridge: str) -> tuple[list[str], list[str]]:
    """libvtap's flows and every group of a bridge, as ovs-ofctl prints them, without counters."""
    flows = ovs.ofctl("-O", "OpenFlow15", "--no-stats", "--sort", "dump-flows", bridge,
                      "cookie=0x7674000000000000/0xffff000000000000").splitlines()
    groups = ovs.ofctl("-O", "OpenFlow15", "dump-groups", bridge).splitlines()[1:]
    return sorted(flows), sorted(g.strip() for g in groups)


def expected(vtapctl, ovs, tmp_path, policies: list[dict]) -> dict:
    """Per bridge, what ``vtapctl compile`` gives on the topology ``vtapctl discover`` reads,
    loaded by ovs-ofctl into a scratch bridge and dumped back."""
    topology = subprocess.run([str(vtapctl), "discover", "--db", ovs.db], capture_output=True, text=True,
                              check=True, timeout=60).stdout
    work = tmp_path / f"expected-{time.monotonic_ns()}"
    work.mkdir()
    (work / "t.json").write_text(topology)
    (work / "p.json").write_text(json.dumps({"policies": policies}))
    subprocess.run([str(vtapctl), "compile", "--topology", str(work / "t.json"), "--policies", str(work / "p.json"),
                    "--out", str(work / "out")], check=True, capture_output=True, timeout=60)
    state = {}
    for n, bridge in enumerate(BRIDGES):
        out = work / "out"
        if not (out / f"{bridge}.flows").exists():
            state[bridge] = ([], [])
            continue
        ovs.add_bridge("scratch", dpid=0xff00 + n, datapath_type="dummy")
        try:
            ovs.load("scratch", out / f"{bridge}.groups", out / f"{bridge}.flows", None)
            state[bridge] = dump(ovs, "scratch")
        finally:
            ovs.vsctl("del-br", "scratch")
    return state


def installed(ovs) -> dict:
    return {bridge: dump(ovs, bridge) for bridge in BRIDGES}


def wait_until(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def node(ovs):
    for n, bridge in enumerate(BRIDGES, start=1):
        ovs.add_bridge(bridge, dpid=n, datapath_type="dummy")
    ovs.add_patch("br-a", "patch-ab", 10, "br-b", "patch-ba", 10)
    plug(ovs, "br-a", "vm1", 1)
    plug(ovs, "br-b", "vm2", 2)
    plug(ovs, "br-b", "vm3", 3)
    return ovs


def test_vtapd_follows_vms_that_move_leave_and_return(node, vtapctl, tmp_path):
    switches = [f"--switch={b}=unix:{node.dir}/{b}.mgmt" for b in BRIDGES]
    daemon = Vtapd(vtapctl, tmp_path, None, switches, "--db", node.db)
    try:
        r = daemon.request("POST", "/v1/policies", json=POLICY)
        assert r.status_code == 201, r.text
        policy = r.json()
        want = expected(vtapctl, node, tmp_path, [policy])
        assert want["br-b"] != ([], [])
        wait_until(lambda: installed(node) == want, "rules for the first placement")

        # The receiver migrates to br-a: same VM, same MAC, another bridge and port, in one
        # transaction. Until ovs-vswitchd gives the new interface its ofport the VM is nowhere
        # (the policy may be inactive for that moment, as during a live migration's pause).
        mac, ip = VMS["vm2"]
        node.vsctl("del-port", "br-b", "vm2", "--", "add-port", "br-a", "vm2", "--", "set", "interface", "vm2",
                   "type=dummy", "ofport_request=4", f"external_ids:attached-mac={mac}",
                   "external_ids:iface-id=port-vm2", f"external_ids:ip={ip}")
        node.check_ofport("vm2", 4)
        daemon.wait_for(r"topology_changed: .*port-vm2 (moved from br-b port 2 to|added at) br-a port 4")
        want_moved = expected(vtapctl, node, tmp_path, [policy])
        assert want_moved != want
        wait_until(lambda: installed(node) == want_moved, "rules after the move")
        hosts = {h["name"]: h["switch"] for h in daemon.request("GET", "/v1/topology").json()["hosts"]}
        assert hosts["port-vm2"] == "br-a"

        # The monitor goes away: the policy is kept but inactive, and nothing is installed.
        node.vsctl("del-port", "br-b", "vm3")
        daemon.wait_for("policy_inactive policy 1")
        wait_until(lambda: installed(node) == {"br-a": ([], []), "br-b": ([], [])}, "rules removed")
        assert daemon.request("GET", "/v1/policies/1/stats").json()["active"] is False
        plug(node, "br-b", "vm3", 3)
        daemon.wait_for("policy_active policy 1")
        wait_until(lambda: installed(node) == want_moved, "rules back")
        assert daemon.request("GET", "/v1/policies/1/stats").json()["active"] is True
    finally:
        daemon.stop()
