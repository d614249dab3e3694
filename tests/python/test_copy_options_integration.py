"""End-to-end tests of the per-policy copy options on a real Open vSwitch.

Every test writes a topology and policies as JSON, runs ``vtapctl compile``,
loads its output into a private ``ovs-vswitchd`` (dummy datapath, see
``topo_helpers`` for the layout: vmN on port N, line s1 - s2 - s3 of patch
links, plain L2 forwarding by ``dl_dst`` and nothing else), injects frames at
the sender's port and compares the captures of every host port (and, for
tunnel delivery, of the underlay's uplink) with what the policies promise:

* ``"truncate": N`` -- the monitor gets the first N bytes of what the
  receiver got, once per matching packet, locally or two switches away; the
  receiver and the switches in between see whole frames;
* ``"rate_limit": {"pktps": R}`` -- with OVS's clock stopped
  (``ovs-appctl time/stop``) the meter's token bucket cannot refill, so the
  monitor gets exactly what the meter lets through (checked against the
  meter's own counters), the receiver everything; a copy owed to an
  *unlimited* policy that matches the same packet is never limited;
* ``"delivery": "tunnel"`` -- the copy leaves the switch's VXLAN
  ``tunnel_port`` with the policy's VNI and remote IP, and the inner frame is
  byte for byte what the receiver got (``OvsSandbox(dummy="tunnels")`` with an
  underlay bridge, so the encapsulation is OVS's own);
* ``"direction": "both"`` -- receiver -> sender traffic is copied with the
  mirrored filter;
* IPv6 endpoints and ``tcp6`` filters;
* composition of six pairwise-overlapping policies over three monitors on
  three switches, for every combination of the filters' fields, against an
  independent matcher written here -- and ``vtapctl explain`` must agree.

(The paper's destination-rewriting mode is a library-only option,
``TranslatorOptions::rewrite_destination``, and is not reachable from vtapctl.)
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN

from topo_helpers import (HOSTS, HOSTS6, PAYLOAD, Network, Topology, assert_delivery,
                          compile_ok, deploy, explain, describe, icmp, policy, tcp, tcp6,
                          topology, udp, udp6)

BIG = bytes(range(256)) * 2            # payload that makes frames far longer than any cut
TRANSIT_COOKIE = "cookie=0x7674030000000000/0xffffff0000000000"
COLLECTOR_IP = "192.0.2.9"
COLLECTOR_MAC = "aa:bb:cc:00:00:09"
UNDERLAY_IP = "192.0.2.1"
UNDERLAY_MAC = "02:00:00:00:00:fe"
TUNNEL_OFPORT = 20


# --------------------------------------------------------------------------- helpers

def assert_arrivals(net: Network, sender: str, frame: bytes,
                    want: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """Inject ``frame``; every host port must receive exactly ``want[host]`` (default nothing)."""
    got = net.deliver(sender, frame)
    full = {h: list(want.get(h, [])) for h in sorted(net.topo.placement)}
    assert got == full, (f"{Ether(frame).summary()} ({len(frame)} bytes)\n"
                         f"   got  {describe(got)} {_lengths(got)}\n"
                         f"   want {describe(full)} {_lengths(full)}")
    return got


def _lengths(frames: dict[str, list[bytes]]) -> str:
    return str({h: [len(f) for f in fs] for h, fs in frames.items() if fs})


def flow_packets(net: Network, switch: str, *match: str) -> int:
    """Sum of ``n_packets`` over the flows of ``switch`` selected by ``match``."""
    text = net.ovs.ofctl("dump-flows", switch, *match)
    return sum(int(n) for n in re.findall(r"n_packets=(\d+)", text))


def meter_ids(out: Path, switch: str) -> list[int]:
    path = out / f"{switch}.meters"
    if not path.exists():
        return []
    return [int(m) for m in re.findall(r"^meter=(\d+)", path.read_text(), re.M)]


def meter_stats(net: Network, switch: str, meter: int) -> tuple[int, int]:
    """``(packet_in_count, packets dropped by band 0)`` of ``meter`` on ``switch``."""
    text = net.ovs.ofctl("meter-stats", switch, f"meter={meter}")
    m = re.search(rf"meter:{meter} .*?packet_in_count:(\d+).*?bands:\s*0: packet_count:(\d+)",
                  text, re.S)
    assert m, f"no stats for meter {meter} on {switch}:\n{text}"
    return int(m.group(1)), int(m.group(2))


def numbered(frame_maker, n: int, tail: bytes = b"", **kwargs) -> list[bytes]:
    """``n`` distinct frames (the payload starts with the sequence number)."""
    return [frame_maker(payload=f"pkt-{i:04d}-".encode() + PAYLOAD + tail, **kwargs)
            for i in range(n)]


def send_all(net: Network, sender: str, frames: list[bytes]) -> None:
    for frame in frames:
        net.ovs.send(sender, frame)


# --------------------------------------------------------------------------- 1, 2: truncation

def truncation_frames() -> list[bytes]:
    return [
        tcp("vm1", "vm2", dport=80, payload=BIG),
        tcp("vm1", "vm2", dport=22, vlan=200, payload=BIG),     # original VLAN tag kept
        tcp("vm1", "vm2", dport=443, payload=b"x" * 10),        # exactly 64 bytes
        tcp("vm1", "vm2", dport=443, payload=b""),              # 54 bytes: shorter than the cut
    ]


@pytest.mark.parametrize("placement", ["1sw", "2sw-monitor-at-sender"])
def test_truncated_copy_to_monitor_on_senders_switch(ovs, vtapctl, tmp_path, placement):
    net = deploy(ovs, vtapctl, tmp_path, topology(placement),
                 [policy(1, "vm1", "vm2", "vm3", "tcp", truncate=64)])
    frames = truncation_frames()
    assert len(frames[2]) == 64 and len(frames[3]) == 54
    for frame in frames:
        assert_arrivals(net, "vm1", frame, {"vm2": [frame], "vm3": [frame[:64]]})
    # Non-matching traffic is not copied, and genuine traffic to the monitor
    # is delivered whole: the cut applies to copies only.
    big_udp = udp("vm1", "vm2", payload=BIG)
    assert_arrivals(net, "vm1", big_udp, {"vm2": [big_udp]})
    to_monitor = tcp("vm1", "vm3", payload=BIG)
    assert_arrivals(net, "vm1", to_monitor, {"vm3": [to_monitor]})
    # A burst: one cut copy per packet, in order.
    burst = numbered(lambda **k: tcp("vm1", "vm2", **k), 12, tail=BIG)
    net.ovs.clear_captures()
    send_all(net, "vm1", burst)
    got = net.captures()
    assert got["vm2"] == burst
    assert got["vm3"] == [f[:64] for f in burst]


@pytest.mark.parametrize("placement", ["3sw-monitor-on-third", "3sw-receiver-local-monitor-far"])
def test_truncated_copy_to_monitor_two_switches_away(ovs, vtapctl, tmp_path, placement):
    topo = topology(placement)
    assert topo.placement["vm3"] == "s3" and topo.placement["vm1"] == "s1"
    out = compile_ok(vtapctl, tmp_path, topo, [policy(1, "vm1", "vm2", "vm3", "tcp", truncate=64)])
    net = Network(ovs, topo)
    net.build()
    net.load(out)
    # The middle switch only carries transit rules (forwarding, no cut:
    # OVS cannot truncate into a patch port).
    s2 = (out / "s2.flows").read_text()
    assert s2.strip() and "max_len" not in s2 and "group" not in s2, s2
    copies = 0
    for frame in truncation_frames():
        assert_arrivals(net, "vm1", frame, {"vm2": [frame], "vm3": [frame[:64]]})
        copies += 1
        assert flow_packets(net, "s2", TRANSIT_COOKIE) == copies
    big_udp = udp("vm1", "vm2", payload=BIG)
    assert_arrivals(net, "vm1", big_udp, {"vm2": [big_udp]})
    to_monitor = tcp("vm1", "vm3", payload=BIG)
    assert_arrivals(net, "vm1", to_monitor, {"vm3": [to_monitor]})
    assert flow_packets(net, "s2", TRANSIT_COOKIE) == copies


def test_overlapping_truncations_to_one_monitor_give_one_copy(ovs, vtapctl, tmp_path):
    """Two policies, same monitor, cuts 64 and 128: one copy per packet, never
    shorter than the cut of any matching policy asks for."""
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80", truncate=64),
                policy(2, "vm1", "vm2", "vm3", "tcp,tp_src=1000", truncate=128)]
    net = deploy(ovs, vtapctl, tmp_path, topology("3sw-monitor-on-third"), policies)
    only1 = tcp("vm1", "vm2", dport=80, payload=BIG)
    only2 = tcp("vm1", "vm2", sport=1000, dport=22, payload=BIG)
    both = tcp("vm1", "vm2", sport=1000, dport=80, payload=BIG)
    assert_arrivals(net, "vm1", only1, {"vm2": [only1], "vm3": [only1[:64]]})
    assert_arrivals(net, "vm1", only2, {"vm2": [only2], "vm3": [only2[:128]]})
    assert_arrivals(net, "vm1", both, {"vm2": [both], "vm3": [both[:128]]})


# --------------------------------------------------------------------------- 3, 4: rate limits

RATE = 10


@pytest.mark.parametrize("cut", [None, 64], ids=["whole", "truncate64"])
@pytest.mark.parametrize("placement", ["1sw", "2sw-monitor-at-receiver", "3sw-monitor-on-third"])
def test_rate_limited_copies_get_exactly_the_meters_allowance(ovs, vtapctl, tmp_path, placement,
                                                              cut):
    topo = topology(placement)
    options = {"rate_limit": {"pktps": RATE}}
    if cut is not None:
        options["truncate"] = cut
    out = compile_ok(vtapctl, tmp_path, topo, [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80",
                                                      **options)])
    net = Network(ovs, topo)
    net.build()
    net.load(out)
    sender_switch = topo.placement["vm1"]
    [meter] = meter_ids(out, sender_switch)
    for s in topo.switches:
        if s != sender_switch:
            assert meter_ids(out, s) == [], f"meter on {s}, which sends no copies"
    config = ovs.ofctl("dump-meters", sender_switch, f"meter={meter}")
    assert "pktps" in config and f"type=drop rate={RATE}" in config, config

    # Freeze OVS's clock: the token bucket (burst = rate) cannot refill.
    ovs.appctl("time/stop")
    frames = numbered(lambda **k: tcp("vm1", "vm2", dport=80, **k), 40)
    net.ovs.clear_captures()
    send_all(net, "vm1", frames)
    got = net.captures()
    assert got["vm2"] == frames, "production traffic must never be limited"
    packets_in, dropped = meter_stats(net, sender_switch, meter)
    assert packets_in == 40
    assert len(got["vm3"]) == packets_in - dropped == RATE
    assert got["vm3"] == [f[:cut] for f in frames[:RATE]]   # the first ones (cut if asked)
    assert all(got[h] == [] for h in got if h not in ("vm2", "vm3"))

    # Non-matching packets neither get copies nor reach the meter.
    other = numbered(lambda **k: tcp("vm1", "vm2", dport=22, **k), 5)
    net.ovs.clear_captures()
    send_all(net, "vm1", other)
    got = net.captures()
    assert got["vm2"] == other and got["vm3"] == []
    assert meter_stats(net, sender_switch, meter) == (40, 40 - RATE)

    # One simulated second refills the bucket: another RATE copies.
    ovs.appctl("time/warp", "1000")
    net.ovs.clear_captures()
    send_all(net, "vm1", frames)
    got = net.captures()
    assert got["vm2"] == frames
    packets_in, dropped = meter_stats(net, sender_switch, meter)
    assert (packets_in, dropped) == (80, 80 - 2 * RATE)
    assert got["vm3"] == [f[:cut] for f in frames[:RATE]]


@pytest.mark.parametrize("placement", ["1sw", "3sw-monitor-on-third"])
def test_unlimited_policy_copy_is_never_rate_limited(ovs, vtapctl, tmp_path, placement):
    """Policy 1 (tcp,tp_dst=80) is unlimited, policy 2 (tcp,tp_src=1000)
    limited, both to vm3.  A packet matching both owes vm3 an unlimited copy;
    one matching only policy 2 is limited."""
    topo = topology(placement)
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80", name="http-unlimited"),
                policy(2, "vm1", "vm2", "vm3", "tcp,tp_src=1000", name="src1000-limited",
                       rate_limit={"pktps": RATE})]
    out = compile_ok(vtapctl, tmp_path, topo, policies)
    net = Network(ovs, topo)
    net.build()
    net.load(out)
    [meter] = meter_ids(out, "s1")
    ovs.appctl("time/stop")

    def burst(n: int, **fields) -> tuple[list[bytes], list[bytes]]:
        """Send ``n`` distinct frames; return them and the copies vm3 got."""
        frames = numbered(lambda **k: tcp("vm1", "vm2", **fields, **k), n)
        net.ovs.clear_captures()
        send_all(net, "vm1", frames)
        got = net.captures()
        assert got["vm2"] == frames, "production traffic must never be limited"
        assert all(got[h] == [] for h in got if h not in ("vm2", "vm3"))
        return frames, got["vm3"]

    both = {"sport": 1000, "dport": 80}
    only_limited = {"sport": 1000, "dport": 22}
    only_unlimited = {"sport": 40000, "dport": 80}

    frames, copies = burst(20, **both)
    assert copies == frames, "copies owed to the unlimited policy were limited"
    frames, copies = burst(40, **only_limited)
    assert copies == frames[:RATE], f"limited policy: want {RATE} copies, got {len(copies)}"
    packets_in, dropped = meter_stats(net, "s1", meter)
    assert packets_in - dropped == RATE
    # The bucket is empty now, and still nothing owed to policy 1 is lost.
    frames, copies = burst(20, **both)
    assert copies == frames, "copies owed to the unlimited policy were limited"
    frames, copies = burst(20, **only_unlimited)
    assert copies == frames
    frames, copies = burst(5, **only_limited)
    assert copies == []


# --------------------------------------------------------------------------- 5: tunnel delivery

TUNNEL = {"remote_ip": COLLECTOR_IP, "key": 7}


def tunnel_network(ovs, vtapctl, tmp_path, placement: str, policies: list[dict]) -> Network:
    topo = topology(placement, tunnel_ports={"s1": TUNNEL_OFPORT})
    out = compile_ok(vtapctl, tmp_path, topo, policies)
    net = Network(ovs, topo)
    net.build()
    ovs.add_underlay("ul", f"{UNDERLAY_IP}/24", "eth0", 1,
                     neighbors={COLLECTOR_IP: COLLECTOR_MAC})
    net.load(out)
    return net


def vxlan_inner(outer: bytes, vni: int) -> bytes:
    """Check the underlay frame is VXLAN to the collector with ``vni``; return the inner frame."""
    decoded = Ether(outer)
    assert decoded.src == UNDERLAY_MAC and decoded.dst == COLLECTOR_MAC, decoded.summary()
    assert decoded[IP].src == UNDERLAY_IP and decoded[IP].dst == COLLECTOR_IP
    assert decoded[UDP].dport == 4789
    assert VXLAN in decoded and decoded[VXLAN].vni == vni
    return bytes(decoded[VXLAN].payload)


@pytest.mark.parametrize("placement", ["1sw", "3sw-monitor-with-receiver"])
def test_tunnel_delivery_encapsulates_an_identical_copy(ovs_tunnels, vtapctl, tmp_path,
                                                        placement):
    ovs = ovs_tunnels
    net = tunnel_network(ovs, vtapctl, tmp_path, placement,
                         [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80", delivery="tunnel",
                                 tunnel=TUNNEL)])
    for frame in (tcp("vm1", "vm2", dport=80), tcp("vm1", "vm2", dport=80, vlan=200, ecn=3),
                  tcp("vm1", "vm2", dport=80, payload=BIG)):
        # The copy goes to the collector, not to the monitor's port.
        got = assert_arrivals(net, "vm1", frame, {"vm2": [frame]})
        [outer] = ovs.packets_out("eth0")
        assert vxlan_inner(outer, 7) == got["vm2"][0] == frame
    for frame in (tcp("vm1", "vm2", dport=22), udp("vm1", "vm2", dport=80),
                  tcp("vm1", "vm3", dport=80), tcp("vm4", "vm2", dport=80)):
        sender = Ether(frame).src
        host = next(h for h, (mac, _ip) in HOSTS.items() if mac == sender)
        dst = next(h for h, (mac, _ip) in HOSTS.items() if mac == Ether(frame).dst)
        assert_arrivals(net, host, frame, {dst: [frame]})
        assert ovs.packets_out("eth0") == [], f"{Ether(frame).summary()} was tunnelled"


def test_tunnel_delivery_with_truncate_and_rate_limit(ovs_tunnels, vtapctl, tmp_path):
    ovs = ovs_tunnels
    net = tunnel_network(ovs, vtapctl, tmp_path, "1sw",
                         [policy(1, "vm1", "vm2", "vm3", "udp", delivery="tunnel",
                                 tunnel={"remote_ip": COLLECTOR_IP, "key": 4242},
                                 truncate=64, rate_limit={"pktps": RATE})])
    ovs.appctl("time/stop")
    # Tagged and untagged originals alternate: the copy's mark is pushed over
    # the original tag and popped before encapsulation.
    frames = [udp("vm1", "vm2", vlan=200 if i % 2 else None, payload=f"pkt-{i:04d}-".encode() + BIG)
              for i in range(30)]
    ovs.clear_captures()
    send_all(net, "vm1", frames)
    got = net.captures()
    assert got["vm2"] == frames
    assert all(got[h] == [] for h in got if h != "vm2")
    inner = [vxlan_inner(outer, 4242) for outer in ovs.packets_out("eth0")]
    assert inner == [f[:64] for f in frames[:RATE]]


# --------------------------------------------------------------------------- 7: direction both

BOTH_CASES = {
    # filter: [(sender, frame maker kwargs, copied?)]
    "tcp,tp_dst=80": [
        ("vm1", dict(dport=80), True),
        ("vm2", dict(sport=80, dport=40000), True),            # mirrored: tp_src=80
        ("vm2", dict(sport=40000, dport=80), False),
        ("vm1", dict(sport=80, dport=40000), False),
    ],
    "tcp,tp_dst=80,tp_src=0x8000/0x8000": [
        ("vm1", dict(sport=40000, dport=80), True),             # 40000 = 0x9c40
        ("vm1", dict(sport=1000, dport=80), False),
        ("vm2", dict(sport=80, dport=40000), True),             # mirrored: tp_dst masked
        ("vm2", dict(sport=80, dport=1000), False),
        ("vm2", dict(sport=40000, dport=80), False),
    ],
}


@pytest.mark.parametrize("filter", sorted(BOTH_CASES))
@pytest.mark.parametrize("placement", ["1sw", "2sw-monitor-at-receiver", "3sw-monitor-on-third",
                                       "3sw-monitor-in-middle"])
def test_direction_both_copies_reverse_traffic_with_mirrored_filter(ovs, vtapctl, tmp_path,
                                                                    placement, filter):
    net = deploy(ovs, vtapctl, tmp_path, topology(placement),
                 [policy(1, "vm1", "vm2", "vm3", filter, direction="both")])
    for sender, fields, copied in BOTH_CASES[filter]:
        dst = "vm2" if sender == "vm1" else "vm1"
        frame = tcp(sender, dst, **fields)
        assert_delivery(net, sender, frame, dst, *(["vm3"] if copied else []))
    # UDP in reverse, and other senders toward either end: no copy.
    assert_delivery(net, "vm2", udp("vm2", "vm1", dport=40000), "vm1")
    assert_delivery(net, "vm4", tcp("vm4", "vm1", sport=80, dport=40000), "vm1")
    assert_delivery(net, "vm4", tcp("vm4", "vm2", dport=80), "vm2")


# --------------------------------------------------------------------------- 8: IPv6

def v6_endpoint(host: str, with_mac: bool) -> dict:
    e = {"ip": HOSTS6[host]}
    if with_mac:
        e["mac"] = HOSTS[host][0]
    return e


@pytest.mark.parametrize("with_mac", [False, True], ids=["ipv6-only", "mac+ipv6"])
@pytest.mark.parametrize("placement", ["1sw", "2sw-monitor-at-receiver", "3sw-monitor-on-third",
                                       "3sw-monitor-in-middle"])
def test_ipv6_endpoints_copies_are_byte_identical(ovs, vtapctl, tmp_path, placement, with_mac):
    p = {"id": 6, "name": "https6", "tenant": "t1", "filter": "tcp6,tp_dst=443",
         "sender": v6_endpoint("vm1", with_mac), "receiver": v6_endpoint("vm2", with_mac),
         "monitor": v6_endpoint("vm3", with_mac)}
    net = deploy(ovs, vtapctl, tmp_path, topology(placement, ipv6=True), [p])
    for frame in (tcp6("vm1", "vm2", dport=443), tcp6("vm1", "vm2", dport=443, vlan=200),
                  tcp6("vm1", "vm2", dport=443, payload=BIG)):
        assert_delivery(net, "vm1", frame, "vm2", "vm3")
    for frame in (tcp6("vm1", "vm2", dport=80), udp6("vm1", "vm2", dport=443),
                  tcp("vm1", "vm2", dport=443), tcp6("vm2", "vm1", sport=443, dport=40000)):
        sender = "vm2" if Ether(frame).src == HOSTS["vm2"][0] else "vm1"
        assert_delivery(net, sender, frame, "vm1" if sender == "vm2" else "vm2")
    # Genuine IPv6 traffic to the monitor and from another host: untouched.
    assert_delivery(net, "vm1", tcp6("vm1", "vm3", dport=443), "vm3")
    assert_delivery(net, "vm4", tcp6("vm4", "vm2", dport=443), "vm2")


# --------------------------------------------------------------------------- 9: composition stress

STRESS_POLICIES = [
    # (id, monitor, filter)
    (1, "vm3", "tcp"),
    (2, "vm4", "tcp,tp_dst=80"),
    (3, "vm5", "tcp,tp_src=1000"),
    (4, "vm3", "ip,nw_ecn=3"),
    (5, "vm4", "tcp,ip_dscp=10"),
    (6, "vm5", "udp"),
]
STRESS_PLACEMENTS = {
    # sender vm1 on s1; monitors vm3, vm4, vm5 each on its own switch
    "receiver-in-middle": {"vm1": "s1", "vm2": "s2", "vm3": "s1", "vm4": "s2", "vm5": "s3"},
    "receiver-far": {"vm1": "s1", "vm2": "s3", "vm3": "s3", "vm4": "s2", "vm5": "s1"},
    "sender-in-middle": {"vm1": "s2", "vm2": "s3", "vm3": "s1", "vm4": "s2", "vm5": "s3"},
}
PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1}


def filter_matches(filter: str, pkt: dict) -> bool:
    """A matcher for the few ovs-fields(7) terms STRESS_POLICIES use (IPv4 packets only)."""
    for term in filter.split(","):
        if term == "ip":
            continue
        if term in ("tcp", "udp", "icmp"):
            if pkt["proto"] != term:
                return False
            continue
        key, value = term.split("=")
        if pkt.get(key) != int(value, 0):
            return False
    return True


def stress_packets() -> list[dict]:
    pkts = []
    for dport, sport, ecn, dscp in itertools.product((80, 22), (1000, 40000), (0, 3), (0, 10)):
        pkts.append({"proto": "tcp", "tp_dst": dport, "tp_src": sport, "nw_ecn": ecn,
                     "ip_dscp": dscp})
    for ecn, dscp in itertools.product((0, 3), (0, 10)):
        pkts.append({"proto": "udp", "tp_dst": 80, "tp_src": 1000, "nw_ecn": ecn,
                     "ip_dscp": dscp})
    for ecn in (0, 3):
        pkts.append({"proto": "icmp", "nw_ecn": ecn, "ip_dscp": 0})
    return pkts


def stress_frame(pkt: dict) -> bytes:
    if pkt["proto"] == "tcp":
        return tcp("vm1", "vm2", dport=pkt["tp_dst"], sport=pkt["tp_src"], ecn=pkt["nw_ecn"],
                   dscp=pkt["ip_dscp"])
    if pkt["proto"] == "udp":
        return udp("vm1", "vm2", dport=pkt["tp_dst"], sport=pkt["tp_src"], ecn=pkt["nw_ecn"],
                   dscp=pkt["ip_dscp"])
    return icmp("vm1", "vm2", ecn=pkt["nw_ecn"], dscp=pkt["ip_dscp"])


def stress_flow(pkt: dict) -> str:
    """The packet as an ovs-fields(7) match, for ``vtapctl explain``."""
    parts = [pkt["proto"], f"dl_src={HOSTS['vm1'][0]}", f"dl_dst={HOSTS['vm2'][0]}",
             f"nw_src={HOSTS['vm1'][1]}", f"nw_dst={HOSTS['vm2'][1]}",
             f"ip_dscp={pkt['ip_dscp']}", f"nw_ecn={pkt['nw_ecn']}"]
    if "tp_dst" in pkt:
        parts += [f"tp_src={pkt['tp_src']}", f"tp_dst={pkt['tp_dst']}"]
    return ",".join(parts)


def explained_copies(text: str) -> dict[str, tuple[int, list[int]]]:
    """``{monitor: (copies, [policy ids])}`` from ``vtapctl explain``'s summary lines."""
    copies = {}
    for m in re.finditer(r"^(\S+) gets (\d+) cop(?:y|ies) \(polic\w* ([\d, ]+)\)$", text, re.M):
        copies[m.group(1)] = (int(m.group(2)), [int(i) for i in m.group(3).split(",")])
    if not copies:
        assert "no monitor gets a copy" in text, text
    return copies


@pytest.mark.parametrize("placement", sorted(STRESS_PLACEMENTS))
def test_composition_stress_six_overlapping_policies_three_monitors(ovs, vtapctl, tmp_path,
                                                                    placement):
    topo = Topology(3, dict(STRESS_PLACEMENTS[placement]))
    policies = [policy(pid, "vm1", "vm2", monitor, flt) for pid, monitor, flt in STRESS_POLICIES]
    net = deploy(ovs, vtapctl, tmp_path, topo, policies)
    packets = stress_packets()
    assert len(packets) == 22
    failures = []
    monitors_seen = set()
    for pkt in packets:
        frame = stress_frame(pkt)
        monitors = sorted({mon for _pid, mon, flt in STRESS_POLICIES if filter_matches(flt, pkt)})
        monitors_seen.update(monitors)
        want = {h: [] for h in sorted(topo.placement)}
        want["vm2"].append(frame)
        for mon in monitors:
            want[mon].append(frame)
        got = net.deliver("vm1", frame)
        if got != want:
            failures.append(f"{stress_flow(pkt)}: got {describe(got)}; want {describe(want)}")
        result = explain(vtapctl, tmp_path, stress_flow(pkt))
        if result.returncode != 0:
            failures.append(f"explain {stress_flow(pkt)} exited {result.returncode}: "
                            f"{result.stdout}{result.stderr}")
            continue
        said = explained_copies(result.stdout)
        captured = {h: len(got[h]) for h in ("vm3", "vm4", "vm5") if got[h]}
        owed = {mon: (1, sorted(pid for pid, m, flt in STRESS_POLICIES
                                if m == mon and filter_matches(flt, pkt)))
                for mon in monitors}
        if {m: n for m, (n, _ids) in said.items()} != captured or said != owed:
            failures.append(f"explain {stress_flow(pkt)} says {said}, capture {captured}, "
                            f"expected {owed}")
    assert monitors_seen == {"vm3", "vm4", "vm5"}
    assert not failures, "\n".join(failures)


def test_explain_spells_policies_in_plural(vtapctl, tmp_path):
    topo = Topology(3, dict(STRESS_PLACEMENTS["receiver-in-middle"]))
    compile_ok(vtapctl, tmp_path, topo,
               [policy(pid, "vm1", "vm2", monitor, flt) for pid, monitor, flt in STRESS_POLICIES])
    pkt = {"proto": "tcp", "tp_dst": 22, "tp_src": 40000, "nw_ecn": 3, "ip_dscp": 0}
    result = explain(vtapctl, tmp_path, stress_flow(pkt))
    assert result.returncode == 0, result.stderr
    assert re.search(r"^vm3 gets 1 copy \(policies 1, 4\)$", result.stdout, re.M), result.stdout
