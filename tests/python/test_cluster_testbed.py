"""Scale-out (``vtapctl agent`` per compute node, ``vtapctl serve --store ovsdb:...``) with real
packets: three ``vtap.testbed`` nodes joined by VXLAN (user-space Open vSwitch in network
namespaces), a three-server Raft VTAP database (``vtap.ovsdb_cluster``) and one agent per node,
each programming only its own node's bridge; vtapd serves the API from the database.

The sender is on node1, the receiver on node2, the monitor and the auditor on node3. Policy 1
(created over HTTP with ``?wait=applied``) copies the sender's UDP to the receiver to the
monitor: the receiver gets every frame, the monitor one byte-identical copy of each UDP frame
and nothing else (TCP and ICMP are not copied). Then, with the sender streaming UDP all along:

* policy 2 (to the auditor) is created while node3's agent is stopped (SIGSTOP): the change
  stays prepared, node1 (the sender's node) installs nothing for it and no copy of it reaches
  any VM; once the agent runs again the copies start;
* policy 2 is removed while node1's agent is stopped: node1 goes on copying, and node3 goes on
  recovering every copy until node1 acknowledged; then the copies stop.

Throughout, the receiver gets every frame once and in order, every frame a monitor gets is an
exact copy of one the receiver got (none with a VLAN mark still on: that would be a copy at a
node that could not recover it), and policy 1's copies never stop nor double while node1's
rules change under them. With two policies and at the end, each node holds exactly its part of
``vtapctl compile`` of vtapd's policies and topology with the database's marks; the testbed's
own forwarding flows (priority 10, cookie 0) are left alone.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from prerequisites import requires, requires_root
from vm_captures import VmCaptures
from vtap_import import import_vtap

vtap = import_vtap()
from vtap.cluster_farm import atoms, compiled_states, owned_state  # noqa: E402
from vtap.ovsdb_cluster import OvsdbCluster  # noqa: E402
from vtap.sandbox import LoggedProcess, stop_child  # noqa: E402
from vtap.testbed import Node, Testbed  # noqa: E402

pytestmark = [requires_root("namespaces"),
              requires(vtap.HAVE_OPENVSWITCH, "vtapctl was built without libopenvswitch (agent, serve --store)")]

SENDER = {"name": "sender", "mac": "fa:00:00:00:00:01", "ip": "10.9.0.1"}
RECEIVER = {"name": "receiver", "mac": "fa:00:00:00:00:02", "ip": "10.9.0.2"}
MONITOR = {"name": "monitor", "mac": "fa:00:00:00:00:03", "ip": "10.9.0.3"}
AUDITOR = {"name": "auditor", "mac": "fa:00:00:00:00:04", "ip": "10.9.0.4"}
NODES = {"node1": [SENDER], "node2": [RECEIVER], "node3": [MONITOR, AUDITOR]}
VMS = [vm["name"] for vms in NODES.values() for vm in vms]
ADMIN = "admin-token-0001"
POLICY1 = {"name": "all-udp", "tenant": "t1", "sender": {"mac": SENDER["mac"]}, "receiver": {"mac": RECEIVER["mac"]},
           "monitor": {"mac": MONITOR["mac"]}, "filter": "udp"}
POLICY2 = {"name": "udp-5000", "tenant": "t1", "sender": {"mac": SENDER["mac"]}, "receiver": {"ip": RECEIVER["ip"]},
           "monitor": {"mac": AUDITOR["mac"]}, "filter": "udp,tp_dst=5000"}

# Runs in the sender's namespace: one line "udp PORT PAYLOAD" or "tcp PORT" from stdin is one
# datagram (or one connection attempt: a SYN the receiver's kernel answers with a RST).
DRIVER = f"""
import socket, sys
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in iter(sys.stdin.readline, ""):
    kind, port, *payload = line.split()
    if kind == "udp":
        udp.sendto(payload[0].encode(), ({RECEIVER['ip']!r}, int(port)))
    else:
        tcp = socket.socket()
        tcp.settimeout(1)
        try:
            tcp.connect(({RECEIVER['ip']!r}, int(port)))
        except OSError:
            pass
        tcp.close()
"""


@dataclass
class ScaleOut:
    """The testbed, the VTAP cluster, the agents and vtapd of one test."""

    tb: Testbed
    cluster: OvsdbCluster
    agents: dict[str, LoggedProcess]
    vtapd: LoggedProcess
    url: str
    vtapctl: Path

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url + path, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60,
                                **kwargs)


def port(tb: Testbed, node: str, vm) -> int:
    """Where node ``node`` sends frames to ``vm``: its port, or the tunnel toward its node."""
    toward = {(a, b): pa for a, pa, b, _ in tb.links} | {(b, a): pb for a, _, b, pb in tb.links}
    return vm.port if vm.node == node else toward[(node, vm.node)]


def switch(node: str) -> str:
    """The global name of a testbed node's bridge (named after the node) as its agent publishes it."""
    return f"{node}.{node}"


@pytest.fixture
def scale_out(vtapctl, tmp_path):
    with contextlib.ExitStack() as stack:
        tb = stack.enter_context(Testbed(NODES, subnet="10.9.0.0/24"))
        for node in tb.nodes.values():
            # What the agent names the node and pairs the tunnels by (the testbed sets both).
            assert node.vsctl("get", "Open_vSwitch", ".", "external_ids:hostname").strip().strip('"') == node.name
            assert node.vsctl("get", "Open_vSwitch", ".", "external_ids:vtap-local-ip").strip().strip('"') == \
                node.underlay_ip
        for vm in tb.vms.values():  # discovery sees the VMs only through these
            node = tb.nodes[vm.node]
            found = node.vsctl("--bare", "--columns=name", "find", "Interface", f'external_ids:attached-mac="{vm.mac}"',
                               f'external_ids:iface-id="{vm.name}"', f'external_ids:ip="{vm.ip}"')
            assert found.strip(), f"{vm.name}'s interface carries no attached-mac/iface-id/ip"
        # Warm the underlay's neighbour tables (node1 <-> node2 and node1 <-> node3), so neither
        # the first frame nor the first copy is lost to ARP.
        for peer in ("receiver", "monitor"):
            tb.vm("sender").run("ping", "-c2", "-i0.2", "-W1", tb.vm(peer).ip, check=False)

        cluster = stack.enter_context(OvsdbCluster(members=3))
        agents: dict[str, LoggedProcess] = {}
        for name, node in tb.nodes.items():
            agents[name] = LoggedProcess([vtapctl, "agent", "--db", cluster.remotes, "--ovsdb", node.ovs.db,
                                          "--switch", f"{name}={node.target}", "--interval=500",
                                          "--stats-interval=300"],
                                         tmp_path / f"agent-{name}.log")
            stack.callback(agents[name].stop)
        tokens = tmp_path / "tokens.json"
        tokens.write_text(json.dumps({ADMIN: "*"}))
        vtapd = LoggedProcess([vtapctl, "serve", "--store", f"ovsdb:{cluster.remotes}", "--unixctl",
                               tmp_path / "vtapd.ctl", "--listen", "127.0.0.1:0", "--tokens", tokens],
                              tmp_path / "vtapd.log")
        stack.callback(vtapd.stop)
        for name, agent in agents.items():
            agent.wait_for(rf"published node {name} ")
        url = vtapd.wait_for(r"API on (http://\S+)").group(1)
        yield ScaleOut(tb, cluster, agents, vtapd, url, vtapctl)


def dump(node: Node, bridge: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """libvtap's flows (by cookie), and the groups and meters of a node's bridge."""
    return owned_state(node.ovs, bridge or node.name)


def compiled(so: ScaleOut, workdir: Path) -> dict[str, tuple]:
    """The oracle: ``vtapctl compile`` of what vtapd serves (topology, policies) with the
    database's marks, each node's part loaded into a scratch bridge of that node."""
    return compiled_states(so.vtapctl, so.cluster, so.api("GET", "/v1/topology").text,
                           so.api("GET", "/v1/policies").text,
                           {name: (node.ovs, switch(name)) for name, node in so.tb.nodes.items()}, workdir)


def policy_row(so: ScaleOut, pid: int) -> dict:
    rows = [row for row in so.cluster.select("Policy") if row["policy_id"] == pid]
    assert len(rows) == 1, rows
    return rows[0]


def wait_applied(so: ScaleOut, pid: int, timeout: float = 20) -> None:
    """Until policy ``pid``'s row is committed and every node it touches acknowledged it."""
    deadline = time.monotonic() + timeout
    while True:
        applied = {row["_uuid"][1]: row["applied"] for row in so.cluster.select("Node_Status")}
        nodes = {row["name"]: applied[row["status"][1]] for row in so.cluster.select("Node")}
        row = policy_row(so, pid)
        if row["phase"] == "commit" and row["previous"] == "" and \
                all(nodes[n] >= row["generation"] for n in atoms(row["nodes"])):
            return
        assert time.monotonic() < deadline, f"policy {pid} not applied: {row}, nodes {nodes}"
        time.sleep(0.1)


def from_sender(frames: list[bytes], proto: str, label: str = "") -> list[bytes]:
    """The frames from the sender to the receiver of ``proto`` (``udp``: whose payload starts
    with ``label``)."""
    from scapy.all import ICMP, IP, TCP, UDP, Ether
    layer = {"udp": UDP, "tcp": TCP, "icmp": ICMP}[proto]
    out = []
    for f in frames:
        e = Ether(f)
        if IP in e and layer in e and e[IP].src == SENDER["ip"] and e[IP].dst == RECEIVER["ip"] and \
                (proto != "udp" or bytes(e[UDP].payload).startswith(label.encode())):
            out.append(f)
    return out


def from_vms(frames: list[bytes], but: str = RECEIVER["mac"]) -> list[bytes]:
    """The frames a VM sent, but the receiver (whose replies go to the sender). Without
    what the node's side of a VM's veth sends itself (its IPv6 router solicitations: the
    testbed disables IPv6 only inside the VMs)."""
    from scapy.all import Ether
    macs = {vm["mac"] for vms in NODES.values() for vm in vms} - {but}
    return [f for f in frames if Ether(f).src in macs]


def payloads(frames: list[bytes]) -> list[str]:
    from scapy.all import UDP, Ether
    return [bytes(Ether(f)[UDP].payload).decode() for f in frames]


def tagged(frames: list[bytes]) -> list[bytes]:
    from scapy.all import Dot1Q, Ether
    return [f for f in frames if Dot1Q in Ether(f)]


class Driver:
    """The sender's traffic: a process in its namespace fed one line per frame (:meth:`send`);
    :meth:`start` adds a thread sending UDP to port 5000 every 20 ms, each payload
    ``LABEL-N`` with :attr:`label` as it is at the time (``N`` counts per label)."""

    def __init__(self, tb: Testbed):
        self.proc = tb.vm("sender").popen(sys.executable, "-c", DRIVER, stdin=subprocess.PIPE, text=True)
        self.label = ""
        self.sent: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, line: str) -> None:
        with self._lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(0.02):
            label = self.label
            n = self.sent.get(label, 0)
            self.send(f"udp 5000 {label}-{n}")
            self.sent[label] = n + 1

    def start(self, label: str) -> None:
        self.label = label
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop,), daemon=True)
        self._thread.start()

    def stop(self) -> list[str]:
        """Stops the thread; returns the payloads it sent, in order."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return [f"{label}-{n}" for label, count in self.sent.items() for n in range(count)]

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        stop_child(self.proc, timeout=5)


@contextlib.contextmanager
def stopped(agent: LoggedProcess):
    """The agent's process stopped (SIGSTOP) inside the block: it neither applies nor acknowledges."""
    agent.pause()
    try:
        yield
    finally:
        agent.resume()


def wait_until(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def stream(tb: Testbed, tmp_path: Path, driver: Driver, label: str, during) -> dict[str, list[bytes]]:
    """Captures at every VM while the sender streams UDP (first labelled ``label``) and
    ``during()`` runs; checks what holds whatever the policies do and returns the captures
    (:attr:`Driver.sent` has how many frames of each label were sent)."""
    driver.sent = {}
    cap = VmCaptures(tb, tmp_path, VMS)
    try:
        driver.start(label)
        try:
            during()
        finally:
            sent = driver.stop()
        got = cap.stop()
    finally:
        cap.close()
    for name in VMS:
        assert tagged(got[name]) == [], f"{name} got a frame with a VLAN mark still on (a copy that was not recovered)"
    delivered = from_sender(got["receiver"], "udp")
    assert payloads(delivered) == sent, "the receiver did not get every frame exactly once, in order"
    # Policy 1's copies never stop nor double while node1's rules change under them.
    assert from_vms(got["monitor"]) == delivered
    assert from_vms(got["sender"]) == []  # nothing but the receiver's replies
    assert set(from_vms(got["auditor"])) <= set(delivered), "the auditor got a frame the receiver did not"
    return got


def with_label(frames: list[bytes], label: str) -> list[bytes]:
    return from_sender(frames, "udp", f"{label}-")


def assert_nodes_hold_the_compiled_plan(so: ScaleOut, workdir: Path) -> None:
    oracle = compiled(so, workdir)
    for name, node in so.tb.nodes.items():
        assert dump(node) == oracle[name], f"{name} does not hold its part of vtapctl compile's plan"


def test_agents_copy_real_packets_across_nodes_make_before_break(scale_out, tmp_path):
    so = scale_out
    tb = so.tb
    node1, node3 = tb.nodes["node1"], tb.nodes["node3"]

    # The global topology the agents published: one switch per node, the VMs, the VXLAN mesh.
    topo = so.api("GET", "/v1/topology").json()
    assert {h["name"]: (h["switch"], h["port"]) for h in topo["hosts"]} == \
        {vm.name: (switch(vm.node), vm.port) for vm in tb.vms.values()}
    links = {frozenset({(l["a"]["switch"], l["a"]["port"]), (l["b"]["switch"], l["b"]["port"])}) for l in topo["links"]}
    assert links == {frozenset({(switch(a), pa), (switch(b), pb)}) for a, pa, b, pb in tb.links}

    # Policy 1, applied on every node it touches when the POST returns.
    r = so.api("POST", "/v1/policies?wait=applied", json=POLICY1)
    assert r.status_code == 201, r.text
    p1 = r.json()["id"]
    assert any(f"cookie=0x76740100{p1:08x}," in f for f in dump(node1)[0]), dump(node1)
    driver = Driver(tb)
    try:
        # UDP (two ports), TCP and ICMP from the sender: the monitor gets one byte-identical
        # copy of each UDP frame the receiver got, and nothing else.
        cap = VmCaptures(tb, tmp_path, VMS)
        try:
            for i in range(5):
                driver.send(f"udp 5000 one-{i}")
            for i in range(5, 8):
                driver.send(f"udp 6000 one-{i}")
            for _ in range(3):
                driver.send("tcp 80")
            tb.vm("sender").run("ping", "-c3", "-i0.2", "-W1", RECEIVER["ip"])
            got = cap.stop()
        finally:
            cap.close()
        delivered = from_sender(got["receiver"], "udp")
        assert sorted(payloads(delivered)) == [f"one-{i}" for i in range(8)]
        assert len(from_sender(got["receiver"], "tcp")) == 3 and len(from_sender(got["receiver"], "icmp")) == 3
        assert from_vms(got["monitor"]) == delivered
        assert from_vms(got["auditor"]) == [] and from_vms(got["sender"]) == []

        # Policy 2 (to the auditor, also on node3) is created while node3's agent is stopped:
        # it stays prepared, node1 installs nothing of it and no copy of it leaves node1; once
        # node3's agent runs again (and acknowledged), the copies start.
        before = dump(node1)
        p2 = 0

        def create_policy2():
            nonlocal p2
            time.sleep(0.3)
            with stopped(so.agents["node3"]):
                driver.label = "stopped"
                r = so.api("POST", "/v1/policies", json=POLICY2)
                assert r.status_code == 201, r.text
                p2 = r.json()["id"]
                time.sleep(2.0)  # four reconciliation intervals of node1's agent
                assert policy_row(so, p2)["phase"] == "prepare"
                assert not any(f"cookie=0x76740100{p2:08x}," in f for f in dump(node1)[0])
                assert dump(node1) == before, "node1 installed a change node3 had not acknowledged"
                driver.label = "resuming"  # these were all sent while node3 could not recover
                time.sleep(0.2)
            wait_applied(so, p2)
            assert any(f"cookie=0x76740100{p2:08x}," in f for f in dump(node1)[0]), dump(node1)
            driver.label = "after"
            time.sleep(1.0)

        got = stream(tb, tmp_path, driver, "before", create_policy2)
        assert driver.sent["stopped"] >= 20 and driver.sent["after"] >= 10, driver.sent
        copies = from_vms(got["auditor"])
        assert [p for p in payloads(copies) if p.startswith(("before-", "stopped-"))] == [], \
            "a copy for policy 2 left node1 before node3 could recover it"
        assert with_label(copies, "after") == with_label(got["receiver"], "after")
        assert_nodes_hold_the_compiled_plan(so, tmp_path / "oracle-two")

        # Policy 2 is removed while node1's agent is stopped: node1 keeps copying, so node3
        # keeps recovering (every copy arrives, none tagged) until node1 acknowledged.
        def remove_policy2():
            time.sleep(0.3)
            with stopped(so.agents["node1"]):
                r = so.api("DELETE", f"/v1/policies/{p2}")
                assert r.status_code == 204, r.text
                driver.label = "removing"
                time.sleep(1.5)
                assert policy_row(so, p2)["spec"] == ""  # removed, not yet acknowledged by node1
                assert any(f"cookie=0x76740100{p2:08x}," in f for f in dump(node1)[0])
                assert any("dl_vlan=" in f and "output:2" in f for f in dump(node3)[0]), \
                    "node3 dropped its recovery before node1 stopped the copies"
                driver.label = "unmaking"
                time.sleep(0.2)
            wait_until(lambda: all(row["policy_id"] != p2 for row in so.cluster.select("Policy")),
                       "policy 2 was not removed")
            wait_until(lambda: not any("output:2" in f for f in dump(node3)[0]), "node3 kept policy 2's recovery")
            driver.label = "removed"
            time.sleep(0.6)

        got = stream(tb, tmp_path, driver, "kept", remove_policy2)
        copies = from_vms(got["auditor"])
        assert with_label(copies, "kept") == with_label(got["receiver"], "kept")
        assert with_label(copies, "removing") == with_label(got["receiver"], "removing") != []
        assert with_label(copies, "removed") == [] and with_label(got["receiver"], "removed") != []
    finally:
        driver.close()

    # Each node holds exactly its part of the compiled plan of what is left.
    assert [p["id"] for p in so.api("GET", "/v1/policies").json()["policies"]] == [p1]
    assert {row["stream"] for row in so.cluster.select("Mark")} == {"monitor"}
    assert_nodes_hold_the_compiled_plan(so, tmp_path / "oracle-one")
    for name, node in tb.nodes.items():
        theirs = node.ofctl("--no-stats", "dump-flows", name, "table=0,cookie=0/-1").splitlines()
        assert sorted(f.strip() for f in theirs) == \
            sorted(f"priority=10,dl_dst={vm.mac} actions=output:{port(tb, name, vm)}" for vm in tb.vms.values())
    assert_vtapd_serves_the_switch_counters(so, p1)
    for name, agent in so.agents.items():
        assert "failed" not in agent.text(), agent.text()


def switch_counters(node: Node, pid: int) -> dict[str, int]:
    """The oracle: what ``ovs-ofctl`` reads of policy ``pid``'s rewriting rule on ``node`` and
    its group's copy bucket."""
    import re
    flows = [f for f in node.ofctl("dump-flows", node.name, f"cookie=0x76740100{pid:08x}/-1").splitlines()
             if "cookie=" in f]
    assert len(flows) == 1, flows
    group = re.search(r"group:(\d+)", flows[0]).group(1)
    stats = node.ofctl("dump-group-stats", node.name, f"group_id={group}")
    copy = re.search(r"bucket1:packet_count=(\d+),byte_count=(\d+)", stats)
    return {"packets": int(re.search(r"n_packets=(\d+)", flows[0]).group(1)),
            "bytes": int(re.search(r"n_bytes=(\d+)", flows[0]).group(1)),
            "copies": int(copy.group(1)), "copy_bytes": int(copy.group(2))}


def assert_vtapd_serves_the_switch_counters(so: ScaleOut, pid: int) -> None:
    """The counters node1's agent publishes reach vtapd's API and metrics: once traffic has
    stopped they equal what ``ovs-ofctl`` reads on the sender's node."""
    want = switch_counters(so.tb.nodes["node1"], pid)
    assert want["packets"] > 0 and want["copies"] == want["packets"], want

    def served() -> dict[str, int]:
        r = so.api("GET", f"/v1/policies/{pid}/stats")
        assert r.status_code == 200, r.text
        return {k: v for k, v in r.json().items() if k in want}

    wait_until(lambda: served() == want, f"vtapd's counters of policy {pid} are not the switch's {want}", timeout=10)
    assert {s["id"]: s["active"] for s in so.api("GET", "/v1/stats").json()["stats"]} == {pid: True}
    metrics = so.api("GET", "/metrics").text
    assert any(line.startswith("vtap_policy_copies_total{") and f'policy="{pid}"' in line and
               line.endswith(f" {want['copies']}") for line in metrics.splitlines()), metrics
