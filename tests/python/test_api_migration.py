"""A VM migrates under a live policy, with real packets: vtapd (``vtapctl serve --db``, one
OVSDB remote per compute node) follows the receiver from node2 to node1 without a restart.

Two ``vtap.testbed`` nodes joined by VXLAN: the sender on node1, the receiver and the monitor
on node2. A policy is created over HTTP; UDP from the sender to the receiver reaches the
receiver and byte-identical copies reach the monitor. Then the receiver migrates the way a
live migration looks to Open vSwitch: its port leaves node2's bridge, its veth (the VM keeps
its namespace, MAC and IP) moves into node1, and an interface with the same
``attached-mac``/``iface-id``/``ip`` is added to node1's bridge. vtapd logs
``topology_changed``, re-plans, and the same traffic again reaches the receiver at its new
place while the copies keep coming, now across the tunnel. Traffic the filter does not match
is never copied, and in each phase the policy's counters (``/v1/policies/1/stats``) rise by
exactly the frames tapped.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from prerequisites import requires, requires_root
from vm_captures import VmCaptures
from vtap_import import import_vtap
from vtapd import Vtapd

vtap = import_vtap()
from vtap.testbed import Testbed  # noqa: E402

pytestmark = [requires_root("namespaces"),
              requires(vtap.HAVE_OPENVSWITCH, "vtapctl was built without libopenvswitch (serve --db)")]

SENDER = {"name": "sender", "mac": "fa:00:00:00:00:01", "ip": "10.7.0.1"}
RECEIVER = {"name": "receiver", "mac": "fa:00:00:00:00:02", "ip": "10.7.0.2"}
MONITOR = {"name": "monitor", "mac": "fa:00:00:00:00:03", "ip": "10.7.0.3"}
NODES = {"node1": [SENDER], "node2": [RECEIVER, MONITOR]}
NEW_PORT = 7  # the receiver's ofport on node1 after the migration
POLICY = {"name": "migrating", "sender": {"mac": SENDER["mac"]}, "receiver": {"ip": RECEIVER["ip"]},
          "monitor": {"mac": MONITOR["mac"]}, "filter": "udp,tp_dst=5000"}
COPIED, NOT_COPIED = 5, 3  # frames per phase to udp/5000 (tapped) and udp/6000 (not)


def switch(node: str) -> str:
    """The switch name discovery gives a node's integration bridge with several databases."""
    return f"{node}.{node}"


def send(tb: Testbed, phase: int) -> None:
    """From the sender: COPIED frames to udp/5000 and NOT_COPIED to udp/6000, tagged by phase."""
    def frames(dport: int, count: int) -> str:
        return (f"[Ether(src='{SENDER['mac']}',dst='{RECEIVER['mac']}')/IP(src='{SENDER['ip']}',dst='{RECEIVER['ip']}')"
                f"/UDP(sport=30000+i,dport={dport})/Raw(b'phase{phase}-%d' % i) for i in range({count})]")
    code = ("from scapy.all import Ether, IP, UDP, Raw, sendp, conf\nconf.verb = 0\n"
            f"sendp({frames(5000, COPIED)} + {frames(6000, NOT_COPIED)}, iface='eth0', inter=0.02)\n")
    tb.vm("sender").run(sys.executable, "-c", code)


def udp(frames: list[bytes], dport: int, phase: int) -> list[bytes]:
    """The frames from the sender to the receiver to ``dport`` sent in ``phase``."""
    from scapy.all import IP, UDP, Ether
    out = []
    for f in frames:
        e = Ether(f)
        if (IP in e and UDP in e and e[IP].src == SENDER["ip"] and e[IP].dst == RECEIVER["ip"]
                and e[UDP].dport == dport and bytes(e[UDP].payload).startswith(b"phase%d-" % phase)):
            out.append(f)
    return out


def interface_of(tb: Testbed, vm: str) -> str:
    """The name of the interface OVSDB marks with the VM's iface-id on its node."""
    node = tb.nodes[tb.vm(vm).node]
    name = node.vsctl("--bare", "--columns=name", "find", "Interface", f"external_ids:iface-id={vm}").strip()
    assert name, f"no interface of {vm} on {node.name}: vtap.testbed does not mark VM interfaces"
    return name


def migrate(tb: Testbed, vm_name: str, to: str, port: int) -> None:
    """Move a VM's interface to node ``to`` as a live migration looks to Open vSwitch."""
    vm = tb.vm(vm_name)
    old, new = tb.nodes[vm.node], tb.nodes[to]
    veth = interface_of(tb, vm_name)
    old.vsctl("del-port", old.name, veth)
    # The VM keeps its namespace (MAC, IP, neighbours); its cable now ends in the new node.
    subprocess.run(["ip", "-n", old.namespace, "link", "set", veth, "netns", new.namespace], check=True, timeout=30)
    subprocess.run(["ip", "-n", new.namespace, "link", "set", veth, "up"], check=True, timeout=30)
    vm.node, vm.port = to, port
    new.vsctl("add-port", new.name, veth, "--", "set", "interface", veth, f"ofport_request={port}",
              *vm.external_ids())
    new.ovs.check_ofport(veth, port)
    # What the cloud's own L2 (not libvtap) does: forward to the VM where it is now.
    tunnel = {(a, b): pa for a, pa, b, _ in tb.links} | {(b, a): pb for a, _, b, pb in tb.links}
    new.ofctl("add-flow", new.name, f"priority=10,dl_dst={vm.mac},actions=output:{port}")
    old.ofctl("add-flow", old.name, f"priority=10,dl_dst={vm.mac},actions=output:{tunnel[(old.name, new.name)]}")


def stats(daemon: Vtapd, tb: Testbed) -> dict:
    for node in tb.nodes.values():  # the datapath's flow cache pushes its counts up
        node.appctl("revalidator/purge")
    r = daemon.request("GET", "/v1/policies/1/stats")
    assert r.status_code == 200, r.text
    return r.json()


def wait_until(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def hosts(daemon: Vtapd) -> dict[str, tuple[str, int]]:
    r = daemon.request("GET", "/v1/topology")
    assert r.status_code == 200, r.text
    return {h["name"]: (h["switch"], h["port"]) for h in r.json()["hosts"]}


def phase(tb: Testbed, daemon: Vtapd, workdir: Path, number: int, before: dict) -> dict:
    """Send phase ``number``'s traffic; the receiver gets all of it, the monitor one
    byte-identical copy of each tapped frame and nothing else, and the policy's counters rise
    by exactly the tapped frames. Returns the counters after."""
    cap = VmCaptures(tb, workdir, ["receiver", "monitor"])
    try:
        send(tb, number)
        got = cap.stop()
    finally:
        cap.close()
    delivered = udp(got["receiver"], 5000, number)
    assert len(delivered) == COPIED, f"phase {number}: the receiver got {len(delivered)} of {COPIED}"
    assert len(udp(got["receiver"], 6000, number)) == NOT_COPIED  # genuine traffic untouched
    copies = udp(got["monitor"], 5000, number)
    assert copies == delivered, f"phase {number}: {len(copies)} copies at the monitor for {COPIED} frames"
    assert udp(got["monitor"], 6000, number) == []  # the filter holds
    after = stats(daemon, tb)
    assert after["active"] is True, after
    assert after["packets"] == before["packets"] + COPIED, (number, before, after)
    assert after["copies"] == before["copies"] + COPIED, (number, before, after)
    assert after["bytes"] > before["bytes"] and after["copy_bytes"] > before["copy_bytes"], (number, before, after)
    return after


@pytest.fixture
def testbed():
    with Testbed(NODES, subnet="10.7.0.0/24") as tb:
        # Warm the underlay's neighbour tables, so the first tunnelled frame is not lost to ARP.
        tb.vm("sender").run("ping", "-c3", "-i0.2", "-W1", RECEIVER["ip"], check=False)
        yield tb


def test_copies_follow_a_receiver_that_migrates_to_another_node(testbed, vtapctl, tmp_path):
    tb = testbed
    dbs = [arg for node in tb.nodes.values() for arg in ("--db", node.ovs.db)]
    switches = [f"--switch={switch(name)}={node.target}" for name, node in tb.nodes.items()]
    daemon = Vtapd(vtapctl, tmp_path, None, switches, *dbs)
    try:
        assert hosts(daemon) == {"sender": (switch("node1"), 1), "receiver": (switch("node2"), 1),
                                 "monitor": (switch("node2"), 2)}
        r = daemon.request("POST", "/v1/policies", json=POLICY)
        assert r.status_code == 201, r.text
        assert r.headers["Location"] == "/v1/policies/1"
        start = stats(daemon, tb)
        assert start["active"] is True and start["packets"] == 0 and start["copies"] == 0, start

        # Phase 1: the receiver and the monitor on node2, the sender on node1.
        phase(tb, daemon, tmp_path, 1, start)

        # The receiver migrates to node1 while vtapd runs on.
        migrate(tb, "receiver", "node1", NEW_PORT)
        daemon.wait_for(rf"topology_changed: .*receiver (moved from {switch('node2')} port 1 to|added at) "
                        rf"{switch('node1')} port {NEW_PORT}\b")
        # The event is published once the new plan is on the switches; check it there too.
        node1 = tb.nodes["node1"]
        wait_until(lambda: f"output:{NEW_PORT}" in node1.ofctl("dump-groups", node1.name),
                   "the sender's group delivers to the receiver's new port")
        assert hosts(daemon)["receiver"] == (switch("node1"), NEW_PORT)
        assert daemon.proc.poll() is None  # the same vtapd, never restarted
        # The rules were re-created with the policy's new placement, so its counters may start
        # again from zero here (they do today: the policy was inactive between the removal on
        # node2 and the addition on node1); phase 2 counts from what they are now.
        moved = stats(daemon, tb)
        assert moved["active"] is True, moved

        # Phase 2: the receiver beside the sender, the copies to the monitor across the tunnel.
        phase(tb, daemon, tmp_path, 2, moved)
        assert "failed" not in daemon.log.read_text()
    finally:
        daemon.stop()
