"""End-to-end tests of ``vtapctl compile`` on a real Open vSwitch (dummy datapath).

The CLI contract under test::

    vtapctl compile --topology T.json --policies P.json --out DIR

writes ``DIR/<switch>.groups``, ``DIR/<switch>.flows`` (and
``DIR/<switch>.meters`` when rate limits are used) for every switch that needs
rules, loadable with ``ovs-ofctl -O OpenFlow15 --bundle add-groups|add-flows``.
Bad input exits 2 with one line on stderr naming the file, the policy id and
the field, and writes nothing.

Each test builds the topology in an :class:`OvsSandbox`: one bridge per switch,
one captured dummy port per host (port name = host name, ofport = the host's
port), one patch pair per link.  The switches' *own* forwarding is plain L2,
computed here from the topology (``priority=10,dl_dst=<host>,actions=output:<port
toward host>``); nothing else is installed, so anything not forwarded is
dropped and nothing is flooded (flooding would hand monitors copies for free).
vtapctl's rules are loaded on top.  A frame is then injected at the sender's
port, and the captures of ALL host ports are compared, as whole byte strings,
with what the policies say should arrive: the receiver gets the original, each
monitor whose policy matches gets exactly one byte-identical copy, nobody else
gets anything.

Line topologies s1 - s2 - s3; the port on switch si toward sj is 10*i + j
(s1:12 <-> s2:21, s2:23 <-> s3:32); host vmN sits on port N of its switch.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

from ovs_sandbox import OvsSandbox

HOSTS = {f"vm{n}": (f"fa:00:00:00:00:{n:02x}", f"10.1.1.{n}") for n in range(1, 5)}
TENANT = "t1"
FORWARDING_PRIORITY = 10
PAYLOAD = b"GET / HTTP/1.1\r\nHost: receiver\r\n\r\n" + bytes(range(64))


# --------------------------------------------------------------------------- topology

@dataclass
class Topology:
    """A line of switches s1..sN with hosts placed on them."""

    n_switches: int
    placement: dict[str, str]          # host name -> switch name

    @property
    def switches(self) -> list[str]:
        return [f"s{i}" for i in range(1, self.n_switches + 1)]

    @property
    def links(self) -> list[tuple[str, str]]:
        return [(f"s{i}", f"s{i + 1}") for i in range(1, self.n_switches)]

    @staticmethod
    def link_port(switch: str, toward: str) -> int:
        return 10 * int(switch[1:]) + int(toward[1:])

    @staticmethod
    def host_port(host: str) -> int:
        return int(host[2:])

    def dpid(self, switch: str) -> int:
        return int(switch[1:])

    def to_json(self) -> dict:
        return {
            "switches": [{"name": s, "dpid": f"{self.dpid(s):016x}"} for s in self.switches],
            "hosts": [{"name": h, "mac": HOSTS[h][0], "ip": HOSTS[h][1], "switch": s,
                       "port": self.host_port(h), "tenant": TENANT}
                      for h, s in sorted(self.placement.items())],
            "links": [{"a": {"switch": a, "port": self.link_port(a, b)},
                       "b": {"switch": b, "port": self.link_port(b, a)}} for a, b in self.links],
        }

    def _neighbours(self, switch: str) -> list[str]:
        return [b for a, b in self.links if a == switch] + [a for a, b in self.links if b == switch]

    def next_hop(self, switch: str, target: str) -> str:
        """First switch after ``switch`` on a shortest path to ``target`` (BFS)."""
        parent = {switch: None}
        queue = deque([switch])
        while queue:
            here = queue.popleft()
            for nxt in self._neighbours(here):
                if nxt not in parent:
                    parent[nxt] = here
                    queue.append(nxt)
        hop = target
        while parent[hop] != switch:
            hop = parent[hop]
        return hop

    def port_toward(self, switch: str, host: str) -> int:
        where = self.placement[host]
        if where == switch:
            return self.host_port(host)
        return self.link_port(switch, self.next_hop(switch, where))

    def forwarding_flows(self, switch: str, table: int = 0) -> list[str]:
        return [f"table={table},priority={FORWARDING_PRIORITY},dl_dst={HOSTS[h][0]},"
                f"actions=output:{self.port_toward(switch, h)}" for h in sorted(self.placement)]


PLACEMENTS = {
    # name: (switches, {host: switch}); vm1 sends to vm2, vm3 (and vm4) monitor.
    "1sw": (1, {"vm1": "s1", "vm2": "s1", "vm3": "s1", "vm4": "s1"}),
    "2sw-monitor-at-sender": (2, {"vm1": "s1", "vm2": "s2", "vm3": "s1", "vm4": "s2"}),
    "2sw-monitor-at-receiver": (2, {"vm1": "s1", "vm2": "s2", "vm3": "s2", "vm4": "s1"}),
    "3sw-monitor-on-third": (3, {"vm1": "s1", "vm2": "s2", "vm3": "s3", "vm4": "s1"}),
    "3sw-monitor-in-middle": (3, {"vm1": "s1", "vm2": "s3", "vm3": "s2", "vm4": "s3"}),
    "3sw-monitor-with-receiver": (3, {"vm1": "s1", "vm2": "s3", "vm3": "s3", "vm4": "s2"}),
    "3sw-receiver-local-monitor-far": (3, {"vm1": "s1", "vm2": "s1", "vm3": "s3", "vm4": "s2"}),
}


def topology(name: str) -> Topology:
    n, placement = PLACEMENTS[name]
    return Topology(n, dict(placement))


# --------------------------------------------------------------------------- policies

def endpoint(host: str) -> dict:
    mac, ip = HOSTS[host]
    return {"mac": mac, "ip": ip}


def policy(pid: int, sender: str, receiver: str, monitor: str, filter: str | None = None,
           name: str | None = None) -> dict:
    """A policy between hosts; ``receiver="*"`` means any destination."""
    p = {"id": pid, "name": name or f"policy{pid}", "tenant": TENANT,
         "sender": endpoint(sender),
         "receiver": "*" if receiver == "*" else endpoint(receiver),
         "monitor": endpoint(monitor)}
    if filter is not None:
        p["filter"] = filter
    return p


# --------------------------------------------------------------------------- packets

def tcp(src: str, dst: str, dport: int = 80, sport: int = 40000, vlan: int | None = None,
        ecn: int = 0, payload: bytes = PAYLOAD) -> bytes:
    eth = Ether(src=HOSTS[src][0], dst=HOSTS[dst][0])
    l3 = (IP(src=HOSTS[src][1], dst=HOSTS[dst][1], tos=ecn, ttl=64)
          / TCP(sport=sport, dport=dport, flags="PA", seq=1000) / Raw(payload))
    return bytes(eth / Dot1Q(vlan=vlan) / l3 if vlan is not None else eth / l3)


def udp(src: str, dst: str, dport: int = 80, payload: bytes = PAYLOAD) -> bytes:
    return bytes(Ether(src=HOSTS[src][0], dst=HOSTS[dst][0])
                 / IP(src=HOSTS[src][1], dst=HOSTS[dst][1], ttl=64)
                 / UDP(sport=40000, dport=dport) / Raw(payload))


# --------------------------------------------------------------------------- running vtapctl

def compile_policies(vtapctl: Path, workdir: Path, topo: dict, policies: list[dict],
                     *options: str, out: str = "out") -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "topology.json").write_text(json.dumps(topo, indent=1))
    (workdir / "policies.json").write_text(json.dumps({"policies": policies}, indent=1))
    return subprocess.run(
        [str(vtapctl), "compile", "--topology", str(workdir / "topology.json"),
         "--policies", str(workdir / "policies.json"), "--out", str(workdir / out), *options],
        capture_output=True, text=True, timeout=60)


def compile_ok(vtapctl: Path, workdir: Path, topo: Topology, policies: list[dict],
               *options: str) -> Path:
    result = compile_policies(vtapctl, workdir, topo.to_json(), policies, *options)
    assert result.returncode == 0, f"vtapctl compile failed ({result.returncode}): {result.stderr}"
    return workdir / "out"


# --------------------------------------------------------------------------- the network

@dataclass
class Network:
    """The topology built in a sandbox, with vtapctl's rules loaded on top."""

    ovs: OvsSandbox
    topo: Topology
    loaded: dict[str, list[str]] = field(default_factory=dict)

    def build(self, pipeline_table: int | None = None) -> None:
        """Bridges, ports, patch links and the switches' own L2 forwarding.

        ``pipeline_table=None``: forwarding in table 0.  Otherwise the
        forwarding lives in that table and table 0 sends everything vtapctl's
        rules do not claim there (``priority=0,actions=resubmit(,T)``): a
        stand-in for an OpenStack pipeline the vTAP must coexist with.
        """
        for s in self.topo.switches:
            self.ovs.add_bridge(s, dpid=self.topo.dpid(s))
        for h, s in sorted(self.topo.placement.items()):
            self.ovs.add_port(s, h, self.topo.host_port(h))
        for a, b in self.topo.links:
            self.ovs.add_patch(a, f"{a}-{b}", self.topo.link_port(a, b),
                               b, f"{b}-{a}", self.topo.link_port(b, a))
        for s in self.topo.switches:
            table = 0 if pipeline_table is None else pipeline_table
            flows = self.topo.forwarding_flows(s, table)
            if pipeline_table is not None:
                flows.append(f"table=0,priority=0,actions=resubmit(,{pipeline_table})")
            path = self.ovs.dir / f"{s}.forwarding"
            path.write_text("\n".join(flows) + "\n")
            self.ovs.ofctl("--bundle", "add-flows", s, str(path))

    def load(self, out: Path) -> None:
        """Load every file vtapctl wrote; each must belong to a known switch."""
        files = sorted(p.name for p in out.iterdir())
        by_switch: dict[str, list[str]] = {}
        for name in files:
            switch, _, kind = name.rpartition(".")
            assert switch in self.topo.switches, f"vtapctl wrote {name} for an unknown switch"
            assert kind in ("groups", "flows", "meters"), f"unexpected output file {name}"
            by_switch.setdefault(switch, []).append(kind)
        for switch, kinds in sorted(by_switch.items()):
            self.ovs.load(switch, out / f"{switch}.groups", out / f"{switch}.flows",
                          out / f"{switch}.meters" if "meters" in kinds else None)
        self.loaded = by_switch

    def deliver(self, sender: str, frame: bytes) -> dict[str, list[bytes]]:
        """Inject ``frame`` at ``sender``'s port; return what each host port received."""
        self.ovs.clear_captures()
        self.ovs.send(sender, frame)
        return {h: self.ovs.packets_out(h) for h in sorted(self.topo.placement)}


def expected(net: Network, frame: bytes, *receivers: str) -> dict[str, list[bytes]]:
    """Who should get ``frame``: one entry per arrival (a host listed twice gets it twice)."""
    result: dict[str, list[bytes]] = {h: [] for h in sorted(net.topo.placement)}
    for host in receivers:
        result[host].append(frame)
    return result


def describe(got: dict[str, list[bytes]]) -> str:
    return ", ".join(f"{h}: {len(frames)} frame(s)" for h, frames in got.items())


def assert_delivery(net: Network, sender: str, frame: bytes, *receivers: str) -> None:
    got = net.deliver(sender, frame)
    want = expected(net, frame, *receivers)
    assert got == want, (f"{Ether(frame).summary()}\n   got  {describe(got)}\n"
                         f"   want {describe(want)}\n"
                         f"trace: {net.ovs.trace(net.topo.placement[sender], trace_flow(net, sender, frame))}")


def trace_flow(net: Network, sender: str, frame: bytes) -> str:
    """An ofproto/trace flow for ``frame`` (only for failure messages)."""
    pkt = Ether(frame)
    parts = [f"in_port={net.topo.host_port(sender)}", f"dl_src={pkt.src}", f"dl_dst={pkt.dst}"]
    if Dot1Q in pkt:
        parts.append(f"dl_vlan={pkt[Dot1Q].vlan}")
    if IP in pkt:
        ip = pkt[IP]
        proto = "tcp" if TCP in pkt else "udp" if UDP in pkt else "ip"
        parts = [proto] + parts + [f"nw_src={ip.src}", f"nw_dst={ip.dst}", f"nw_ecn={ip.tos & 3}"]
        if TCP in pkt or UDP in pkt:
            parts.append(f"tp_dst={pkt[TCP if TCP in pkt else UDP].dport}")
    return ",".join(parts)


def deploy(ovs: OvsSandbox, vtapctl: Path, tmp_path: Path, topo: Topology,
           policies: list[dict], *options: str, pipeline_table: int | None = None) -> Network:
    out = compile_ok(vtapctl, tmp_path, topo, policies, *options)
    net = Network(ovs, topo)
    net.build(pipeline_table)
    net.load(out)
    return net


HTTP_POLICY = [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80", name="http")]


# --------------------------------------------------------------------------- one policy, every placement

@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
def test_matching_packet_reaches_receiver_and_monitor_exactly_once(ovs, vtapctl, tmp_path,
                                                                   placement):
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), HTTP_POLICY)
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=80), "vm2", "vm3")
    # Again, now that the datapath has cached flows: same result.
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=80, payload=b"second"), "vm2", "vm3")


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
def test_non_matching_packets_are_not_copied(ovs, vtapctl, tmp_path, placement):
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), HTTP_POLICY)
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=22), "vm2")
    assert_delivery(net, "vm1", udp("vm1", "vm2", dport=80), "vm2")
    # Another sender to the same receiver, and the reply direction.
    assert_delivery(net, "vm4", tcp("vm4", "vm2", dport=80), "vm2")
    assert_delivery(net, "vm2", tcp("vm2", "vm1", sport=80, dport=40000), "vm1")


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
def test_genuine_sender_to_monitor_traffic_is_untouched(ovs, vtapctl, tmp_path, placement):
    """Recovery rules must never rewrite real traffic that looks like a copy."""
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), HTTP_POLICY)
    assert_delivery(net, "vm1", tcp("vm1", "vm3", dport=80), "vm3")
    assert_delivery(net, "vm1", tcp("vm1", "vm3", dport=22), "vm3")
    # ...and the monitor's own traffic back to the sender.
    assert_delivery(net, "vm3", tcp("vm3", "vm1", dport=80), "vm1")


def test_rules_land_only_on_switches_that_need_them(ovs, vtapctl, tmp_path):
    net = deploy(ovs, vtapctl, tmp_path, topology("3sw-receiver-local-monitor-far"), HTTP_POLICY)
    # The sender's switch rewrites/groups; the monitor's switch recovers; s2 at
    # most carries transit rules.
    assert "s1" in net.loaded and "s3" in net.loaded
    assert_delivery(net, "vm1", tcp("vm1", "vm2"), "vm2", "vm3")


def test_output_is_deterministic(vtapctl, tmp_path):
    topo = topology("3sw-monitor-on-third")
    policies = HTTP_POLICY + [policy(2, "vm1", "vm2", "vm4", "tcp")]
    first = compile_ok(vtapctl, tmp_path / "a", topo, policies)
    second = compile_ok(vtapctl, tmp_path / "b", topo, policies)
    files = sorted(p.name for p in first.iterdir())
    assert files == sorted(p.name for p in second.iterdir())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_coexists_with_a_resubmit_pipeline(ovs, vtapctl, tmp_path):
    """--forwarding=resubmit:1: originals go through the switch's own table 1."""
    net = deploy(ovs, vtapctl, tmp_path, topology("3sw-monitor-on-third"), HTTP_POLICY,
                 "--forwarding=resubmit:1", pipeline_table=1)
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=80), "vm2", "vm3")
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=22), "vm2")
    assert_delivery(net, "vm1", tcp("vm1", "vm3", dport=80), "vm3")


# --------------------------------------------------------------------------- the paper's Fig. 4

FIG4_POLICY3 = [{
    "id": 3, "name": "fig4-policy3", "tenant": TENANT,
    "sender": {"mac": "fa:00:00:00:00:02", "ip": "10.1.1.2"},
    "receiver": {"mac": "fa:00:00:00:00:01", "ip": "10.1.1.1"},
    "monitor": {"mac": "fa:00:00:00:00:04", "ip": "10.1.1.4"},
    "filter": "tcp,dl_vlan=200,nw_ecn=3",
}]


@pytest.mark.parametrize("placement", ["1sw", "2sw-monitor-at-sender", "3sw-monitor-in-middle",
                                       "3sw-monitor-with-receiver"])
def test_fig4_policy3_vlan_tagged_copy_is_byte_identical(ovs, vtapctl, tmp_path, placement):
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), FIG4_POLICY3)
    tagged = tcp("vm2", "vm1", dport=5001, vlan=200, ecn=3)
    assert_delivery(net, "vm2", tagged, "vm1", "vm4")
    # ECN 0, another VLAN, or no tag at all: no copy.
    assert_delivery(net, "vm2", tcp("vm2", "vm1", dport=5001, vlan=200, ecn=0), "vm1")
    assert_delivery(net, "vm2", tcp("vm2", "vm1", dport=5001, vlan=300, ecn=3), "vm1")
    assert_delivery(net, "vm2", tcp("vm2", "vm1", dport=5001, ecn=3), "vm1")


# --------------------------------------------------------------------------- overlapping policies

OVERLAP_PLACEMENTS = ["1sw", "2sw-monitor-at-receiver", "3sw-monitor-on-third",
                      "3sw-monitor-in-middle"]


@pytest.mark.parametrize("placement", OVERLAP_PLACEMENTS)
def test_overlapping_policies_same_monitor_give_one_copy(ovs, vtapctl, tmp_path, placement):
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp", name="all-tcp"),
                policy(2, "vm1", "vm2", "vm3", "tcp,tp_dst=80", name="http")]
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), policies)
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=80), "vm2", "vm3")
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=22), "vm2", "vm3")
    assert_delivery(net, "vm1", udp("vm1", "vm2", dport=80), "vm2")


@pytest.mark.parametrize("placement", OVERLAP_PLACEMENTS)
def test_overlapping_policies_different_monitors_each_get_one_copy(ovs, vtapctl, tmp_path,
                                                                   placement):
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp", name="all-tcp"),
                policy(2, "vm1", "vm2", "vm4", "tcp,tp_dst=80", name="http")]
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), policies)
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=80), "vm2", "vm3", "vm4")
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=22), "vm2", "vm3")
    assert_delivery(net, "vm1", udp("vm1", "vm2", dport=80), "vm2")


@pytest.mark.parametrize("placement", OVERLAP_PLACEMENTS)
def test_any_receiver_policy_overlapping_a_specific_one(ovs, vtapctl, tmp_path, placement):
    """A '*' receiver needs the destination from the switch's own pipeline
    (bucket 0 cannot follow one fixed path), hence --forwarding=resubmit:1."""
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80", name="http"),
                policy(2, "vm1", "*", "vm4", "tcp", name="all-tcp-anywhere")]
    net = deploy(ovs, vtapctl, tmp_path, topology(placement), policies,
                 "--forwarding=resubmit:1", pipeline_table=1)
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=80), "vm2", "vm3", "vm4")
    assert_delivery(net, "vm1", tcp("vm1", "vm2", dport=22), "vm2", "vm4")
    # To another destination only the '*' policy matches: vm3 gets the genuine
    # frame once (not rewritten), vm4 a copy.
    assert_delivery(net, "vm1", tcp("vm1", "vm3", dport=22), "vm3", "vm4")
    assert_delivery(net, "vm1", udp("vm1", "vm2", dport=80), "vm2")


# --------------------------------------------------------------------------- bad input

BAD_TOPOLOGY = topology("2sw-monitor-at-receiver")
BASE = policy(42, "vm1", "vm2", "vm3", "tcp,tp_dst=80", name="http")


def _with(**changes) -> list[dict]:
    p = json.loads(json.dumps(BASE))
    p.update(changes)
    return [p]


BAD_INPUTS = {
    # case: (policies, words the one-line message must contain besides file and id)
    "fig4-policy2-mpls": (_with(filter="udp,dl_vlan=100,mpls_label=10"), ["mpls_label"]),
    "unknown-host-mac": (_with(sender={"mac": "fa:00:00:00:00:99", "ip": "10.1.1.1"}), ["sender"]),
    "monitor-is-sender": (_with(monitor=endpoint("vm1")), ["monitor"]),
    "duplicate-ids": (_with() + [dict(_with(name="other")[0],
                                      monitor=endpoint("vm4"))], ["id"]),
    "tp_dst-without-protocol": (_with(filter="tp_dst=80"), ["tp_dst"]),
    "malformed-mac": (_with(receiver={"mac": "fa:00:00:00:00", "ip": "10.1.1.2"}), ["receiver"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(vtapctl, tmp_path, case):
    policies, words = BAD_INPUTS[case]
    result = compile_policies(vtapctl, tmp_path, BAD_TOPOLOGY.to_json(), policies)
    assert result.returncode == 2, (result.returncode, result.stderr)
    message = result.stderr.strip()
    assert message and "\n" not in message, f"want exactly one line, got {result.stderr!r}"
    assert "policies.json" in message
    assert re.search(r"\b42\b", message), f"policy id missing: {message}"
    for word in words:
        assert word in message, f"{word!r} missing: {message}"
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir()), "bad input must write no files"
