"""Topologies, policies, packets and delivery checks shared by the end-to-end tests.

Each test builds a topology in a :class:`vtap.sandbox.OvsSandbox`: one bridge
per switch, one captured dummy port per host (port name = host name, ofport =
the host's port), one patch pair per link, and (optionally) one VXLAN tunnel
port per switch with ``options:remote_ip=flow options:key=flow``.  The
switches' *own* forwarding is plain L2, computed here from the topology
(``priority=10,dl_dst=<host>,actions=output:<port toward host>``); nothing else
is installed, so anything not forwarded is dropped and nothing is flooded
(flooding would hand monitors copies for free).  ``vtapctl compile``'s rules
are loaded on top.

Line topologies s1 - s2 - s3; the port on switch si toward sj is 10*i + j
(s1:12 <-> s2:21, s2:23 <-> s3:32); host vmN sits on port N of its switch and
has MAC fa:00:00:00:00:0N, IPv4 10.1.1.N and IPv6 fd00::N.
"""

from __future__ import annotations

import json
import subprocess
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

from vtap_import import import_vtap

import_vtap()
from vtap.sandbox import OvsSandbox  # noqa: E402

HOSTS = {f"vm{n}": (f"fa:00:00:00:00:{n:02x}", f"10.1.1.{n}") for n in range(1, 7)}
HOSTS6 = {f"vm{n}": f"fd00::{n}" for n in range(1, 7)}
TENANT = "t1"
FORWARDING_PRIORITY = 10
PAYLOAD = b"GET / HTTP/1.1\r\nHost: receiver\r\n\r\n" + bytes(range(64))


# --------------------------------------------------------------------------- topology

@dataclass
class Topology:
    """A line of switches s1..sN with hosts placed on them.

    ``ipv6``: give every host its ``"ipv6"`` address in the topology JSON.
    ``tunnel_ports``: ``{switch: ofport}`` of a VXLAN port (``"tunnel_port"``).
    """

    n_switches: int
    placement: dict[str, str]          # host name -> switch name
    ipv6: bool = False
    tunnel_ports: dict[str, int] = field(default_factory=dict)

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
        switches = []
        for s in self.switches:
            sw = {"name": s, "dpid": f"{self.dpid(s):016x}"}
            if s in self.tunnel_ports:
                sw["tunnel_port"] = self.tunnel_ports[s]
            switches.append(sw)
        hosts = []
        for h, s in sorted(self.placement.items()):
            host = {"name": h, "mac": HOSTS[h][0], "ip": HOSTS[h][1], "switch": s,
                    "port": self.host_port(h), "tenant": TENANT}
            if self.ipv6:
                host["ipv6"] = HOSTS6[h]
            hosts.append(host)
        return {
            "switches": switches,
            "hosts": hosts,
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


def topology(name: str, **options) -> Topology:
    n, placement = PLACEMENTS[name]
    return Topology(n, dict(placement), **options)


# --------------------------------------------------------------------------- policies

def endpoint(host: str) -> dict:
    mac, ip = HOSTS[host]
    return {"mac": mac, "ip": ip}


def policy(pid: int, sender: str, receiver: str, monitor: str, filter: str | None = None,
           name: str | None = None, **extra) -> dict:
    """A policy between hosts; ``receiver="*"`` means any destination.

    ``extra`` keys (``truncate``, ``rate_limit``, ``direction``, ``delivery``,
    ``tunnel``, ...) are copied into the policy as given.
    """
    p = {"id": pid, "name": name or f"policy{pid}", "tenant": TENANT,
         "sender": endpoint(sender),
         "receiver": "*" if receiver == "*" else endpoint(receiver),
         "monitor": endpoint(monitor)}
    if filter is not None:
        p["filter"] = filter
    p.update(extra)
    return p


# --------------------------------------------------------------------------- packets

def _eth(src: str, dst: str, vlan: int | None):
    eth = Ether(src=HOSTS[src][0], dst=HOSTS[dst][0])
    return eth / Dot1Q(vlan=vlan) if vlan is not None else eth


def tcp(src: str, dst: str, dport: int = 80, sport: int = 40000, vlan: int | None = None,
        ecn: int = 0, payload: bytes = PAYLOAD, dscp: int = 0) -> bytes:
    l3 = (IP(src=HOSTS[src][1], dst=HOSTS[dst][1], tos=(dscp << 2) | ecn, ttl=64)
          / TCP(sport=sport, dport=dport, flags="PA", seq=1000) / Raw(payload))
    return bytes(_eth(src, dst, vlan) / l3)


def udp(src: str, dst: str, dport: int = 80, payload: bytes = PAYLOAD, sport: int = 40000,
        ecn: int = 0, dscp: int = 0, vlan: int | None = None) -> bytes:
    return bytes(_eth(src, dst, vlan)
                 / IP(src=HOSTS[src][1], dst=HOSTS[dst][1], tos=(dscp << 2) | ecn, ttl=64)
                 / UDP(sport=sport, dport=dport) / Raw(payload))


def icmp(src: str, dst: str, ecn: int = 0, dscp: int = 0, payload: bytes = PAYLOAD) -> bytes:
    return bytes(_eth(src, dst, None)
                 / IP(src=HOSTS[src][1], dst=HOSTS[dst][1], tos=(dscp << 2) | ecn, ttl=64)
                 / ICMP(type=8, id=1, seq=1) / Raw(payload))


def tcp6(src: str, dst: str, dport: int = 443, sport: int = 40000, vlan: int | None = None,
         payload: bytes = PAYLOAD) -> bytes:
    return bytes(_eth(src, dst, vlan)
                 / IPv6(src=HOSTS6[src], dst=HOSTS6[dst], hlim=64)
                 / TCP(sport=sport, dport=dport, flags="PA", seq=1000) / Raw(payload))


def udp6(src: str, dst: str, dport: int = 443, sport: int = 40000,
         payload: bytes = PAYLOAD) -> bytes:
    return bytes(_eth(src, dst, None)
                 / IPv6(src=HOSTS6[src], dst=HOSTS6[dst], hlim=64)
                 / UDP(sport=sport, dport=dport) / Raw(payload))


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


def explain(vtapctl: Path, workdir: Path, packet: str,
            *options: str) -> subprocess.CompletedProcess:
    """``vtapctl explain`` against the files a previous :func:`compile_policies` wrote."""
    return subprocess.run(
        [str(vtapctl), "explain", "--topology", str(workdir / "topology.json"),
         "--policies", str(workdir / "policies.json"), "--packet", packet, *options],
        capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------- the network

@dataclass
class Network:
    """The topology built in a sandbox, with vtapctl's rules loaded on top."""

    ovs: OvsSandbox
    topo: Topology
    loaded: dict[str, list[str]] = field(default_factory=dict)

    def build(self, pipeline_table: int | None = None) -> None:
        """Bridges, ports, patch links, tunnel ports and the switches' own L2 forwarding.

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
        for s, ofport in sorted(self.topo.tunnel_ports.items()):
            name = f"{s}-vx"
            self.ovs.vsctl("add-port", s, name, "--", "set", "interface", name, "type=vxlan",
                           f"ofport_request={ofport}", "options:remote_ip=flow",
                           "options:key=flow")
            self.ovs.check_ofport(name, ofport)
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

    def captures(self) -> dict[str, list[bytes]]:
        """What each host port received since the last :meth:`OvsSandbox.clear_captures`."""
        return {h: self.ovs.packets_out(h) for h in sorted(self.topo.placement)}

    def deliver(self, sender: str, frame: bytes) -> dict[str, list[bytes]]:
        """Inject ``frame`` at ``sender``'s port; return what each host port received."""
        self.ovs.clear_captures()
        self.ovs.send(sender, frame)
        return self.captures()


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
    elif IPv6 in pkt:
        ip6 = pkt[IPv6]
        proto = "tcp6" if TCP in pkt else "udp6" if UDP in pkt else "ipv6"
        parts = [proto] + parts + [f"ipv6_src={ip6.src}", f"ipv6_dst={ip6.dst}"]
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
