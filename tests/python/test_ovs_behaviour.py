"""What Open vSwitch 3.1 (Debian 12) really does with the rules libvtap emits.

These are experiments kept as tests: the translator's design rests on them, so
if an OVS upgrade changes any of this, a test here says so first.

Summary (details in each test):

* Group syntax: ``group_id=1,type=all,bucket=bucket_id:0,actions=...`` is
  accepted (also ``bucket_id=0``, no ids, or no ``actions=``) and
  ``dump-groups`` prints the canonical form
  ``group_id=1,type=all,bucket=bucket_id:0,actions=output:2,...``.
* OVS executes a group bucket's actions as an OpenFlow *action set*, not as
  an action list: actions are reordered (push_vlan before set_field), only
  the LAST output/group/resubmit runs, and actions an action set cannot hold
  (``meter``, ``output(max_len=...)``) are accepted by ``add-groups`` and then
  silently ignored (meter) or make the bucket drop (truncating output).
  ``resubmit(,T)`` in a bucket works, and a meter or truncating output in the
  resubmitted-to table works.
* Push/pop VLAN marking of copies is byte-exact, for tagged and untagged
  originals, across patch ports and across a "wire" (dummy port to dummy port).
  With the default ``other_config:vlan-limit=1`` a double-tagged frame arriving
  on a port has no visible L3 fields, so recovery rules must match L2 only.
* Truncating output to a patch port is refused at translation time: the copy
  is lost ("output_trunc does not support patch port").
* ``ovs-ofctl`` 3.1 has no ``add-meters FILE``; only ``add-meter SWITCH METER``.
* VXLAN with ``remote_ip=flow,key=flow`` needs ``OvsSandbox(dummy="tunnels")``
  (``--enable-dummy`` without ``=override``) plus an underlay bridge with an
  address, a route and a neighbour entry; then the copy leaves VXLAN
  encapsulated with the chosen VNI and the inner frame byte-identical.
"""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

from vtap_import import import_vtap

import_vtap()
from vtap.sandbox import OvsError, OvsSandbox  # noqa: E402

PUSH_3000_TO_10 = ("set_field:fa:00:00:00:00:03->eth_dst,push_vlan:0x8100,"
                   "set_field:7096->vlan_vid,output:10")
PUSH_3000_TO_3 = PUSH_3000_TO_10.replace("output:10", "output:3")
RECOVER_3000 = ("in_port=10,dl_vlan=3000,"
                "actions=pop_vlan,set_field:fa:00:00:00:00:02->eth_dst,output:3")


def tcp_frame(vlan: int | None = None, payload: bytes = b"payload", tos: int = 0) -> bytes:
    eth = Ether(src="fa:00:00:00:00:01", dst="fa:00:00:00:00:02")
    l3 = IP(src="10.1.1.1", dst="10.1.1.2", tos=tos) / TCP(sport=40000, dport=80) / Raw(payload)
    return bytes(eth / Dot1Q(vlan=vlan) / l3 if vlan is not None else eth / l3)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text + "\n")
    return path


def one_bridge(ovs: OvsSandbox, ports=(1, 2, 3, 4)) -> None:
    ovs.add_bridge("s1", dpid=1)
    for port in ports:
        ovs.add_port("s1", f"p{port}", port)


def two_bridges(ovs: OvsSandbox) -> None:
    """s1: p1, p2, patch 10 <-> s2: patch 10, p3."""
    ovs.add_bridge("s1", dpid=1)
    ovs.add_bridge("s2", dpid=2)
    ovs.add_port("s1", "p1", 1)
    ovs.add_port("s1", "p2", 2)
    ovs.add_port("s2", "p3", 3)
    ovs.add_patch("s1", "s1-s2", 10, "s2", "s2-s1", 10)


def group_desc(ovs: OvsSandbox, bridge: str = "s1", version: str = "OpenFlow15") -> list[str]:
    lines = ovs.ofctl("-O", version, "dump-groups", bridge).splitlines()[1:]
    return [line.strip() for line in lines if line.strip()]


# --------------------------------------------------------------------------- (a) syntax

CANONICAL = ("group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
             "bucket=bucket_id:1,actions=output:3")


@pytest.mark.parametrize("line", [
    CANONICAL,
    "group_id=1,type=all,bucket=bucket_id=0,actions=output:2,bucket=bucket_id=1,actions=output:3",
    "group_id=1,type=all,bucket=actions=output:2,bucket=actions=output:3",
    "group_id=1,type=all,bucket=bucket_id:0,output:2,bucket=bucket_id:1,output:3",
])
def test_a_group_syntax_accepted_and_printed_canonically(ovs, tmp_path, line):
    one_bridge(ovs)
    ovs.ofctl("--bundle", "add-groups", "s1", write(tmp_path, "g", line))
    assert group_desc(ovs) == [CANONICAL]


def test_a_bucket_ids_are_kept_as_given_and_hidden_in_of13(ovs, tmp_path):
    one_bridge(ovs)
    ovs.ofctl("--bundle", "add-groups", "s1", write(
        tmp_path, "g", "group_id=7,type=all,bucket=bucket_id:5,actions=output:2,"
                       "bucket=bucket_id:1,actions=" + PUSH_3000_TO_3))
    assert group_desc(ovs) == [
        "group_id=7,type=all,bucket=bucket_id:5,actions=output:2,bucket=bucket_id:1,"
        "actions=set_field:fa:00:00:00:00:03->eth_dst,push_vlan:0x8100,"
        "set_field:7096->vlan_vid,output:3"]
    # OpenFlow 1.3 has no bucket ids on the wire.
    assert group_desc(ovs, version="OpenFlow13") == [
        "group_id=7,type=all,bucket=actions=output:2,"
        "bucket=actions=set_field:fa:00:00:00:00:03->eth_dst,push_vlan:0x8100,"
        "set_field:7096->vlan_vid,output:3"]


def test_a_duplicate_bucket_id_is_rejected(ovs, tmp_path):
    one_bridge(ovs)
    with pytest.raises(OvsError, match="OFPGMFC_BAD_BUCKET"):
        ovs.ofctl("--bundle", "add-groups", "s1", write(
            tmp_path, "g", "group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
                           "bucket=bucket_id:0,actions=output:3"))


def test_a_flow_to_a_missing_group_fails_the_whole_bundle(ovs, tmp_path):
    """Groups must be installed before the flows that use them."""
    one_bridge(ovs)
    flows = write(tmp_path, "f", "priority=5,in_port=2,actions=output:1\n"
                                 "in_port=1,actions=group:99")
    with pytest.raises(OvsError, match="OFPBFC_MSG_FAILED|group"):
        ovs.ofctl("--bundle", "add-flows", "s1", flows)
    assert "actions=" not in ovs.ofctl("dump-flows", "s1")   # atomic: nothing applied


# --------------------------------------------------------------------------- action-set semantics

def test_bucket_runs_only_its_last_output(ovs, tmp_path):
    one_bridge(ovs)
    ovs.load("s1", write(tmp_path, "g", "group_id=1,type=all,bucket=bucket_id:0,"
                                        "actions=output:2,output:3"),
             write(tmp_path, "f", "in_port=1,actions=group:1"))
    pkt = tcp_frame()
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == []
    assert ovs.packets_out("p3") == [pkt]


def test_bucket_actions_are_reordered_as_an_action_set(ovs, tmp_path):
    one_bridge(ovs)
    ovs.load("s1", write(tmp_path, "g", "group_id=1,type=all,bucket=bucket_id:0,"
                                        "actions=" + PUSH_3000_TO_3),
             write(tmp_path, "f", "in_port=1,actions=group:1"))
    trace = ovs.trace("s1", "in_port=1,dl_dst=fa:00:00:00:00:02")
    bucket = trace[trace.index("bucket 0"):]
    assert bucket.index("push_vlan:0x8100") < bucket.index("set_field:fa:00:00:00:00:03->eth_dst")


# --------------------------------------------------------------------------- (b) VLAN marking

@pytest.mark.parametrize("vlan", [200, None], ids=["tagged", "untagged"])
def test_b_push_vlan_copy_recovered_byte_identical_over_patch(ovs, tmp_path, vlan):
    two_bridges(ovs)
    ovs.load("s1", write(tmp_path, "g", "group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
                                        "bucket=bucket_id:1,actions=" + PUSH_3000_TO_10),
             write(tmp_path, "f", "in_port=1,actions=group:1"))
    ovs.ofctl("add-flow", "s2", RECOVER_3000)
    pkt = tcp_frame(vlan=vlan, tos=3)
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == [pkt]


@pytest.mark.parametrize("vlan_limit", [None, 2])
@pytest.mark.parametrize("vlan", [200, None], ids=["tagged", "untagged"])
def test_b_push_vlan_copy_on_the_wire_and_recovered(ovs, tmp_path, vlan, vlan_limit):
    """Same, but the copy crosses a real port, carried by hand to the next switch."""
    if vlan_limit is not None:
        ovs.vsctl("set", "Open_vSwitch", ".", f"other_config:vlan-limit={vlan_limit}")
    ovs.add_bridge("s1", dpid=1)
    ovs.add_bridge("s2", dpid=2)
    ovs.add_port("s1", "p1", 1)
    ovs.add_port("s1", "p2", 2)
    ovs.add_port("s1", "wire1", 10)
    ovs.add_port("s2", "wire2", 10)
    ovs.add_port("s2", "p3", 3)
    ovs.load("s1", write(tmp_path, "g", "group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
                                        "bucket=bucket_id:1,actions=" + PUSH_3000_TO_10),
             write(tmp_path, "f", "in_port=1,actions=group:1"))
    ovs.ofctl("add-flow", "s2", RECOVER_3000)
    pkt = tcp_frame(vlan=vlan, tos=3)
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    [copy] = ovs.packets_out("wire1")
    # Outer tag TPID 0x8100, VID 3000, PCP 0 pushed right after the MACs; the
    # original tag (if any) and everything after it unchanged.
    assert copy == bytes.fromhex("fa0000000003") + pkt[6:12] + bytes.fromhex("81000bb8") + pkt[12:]
    ovs.send("wire2", copy)
    assert ovs.packets_out("p3") == [pkt]


@pytest.mark.parametrize("vlan_limit,matched", [(None, 0), (2, 1)])
def test_b_vlan_limit_hides_l3_of_double_tagged_frames(ovs, vlan_limit, matched):
    """With the default vlan-limit=1 a recovery rule must not match L3 fields."""
    if vlan_limit is not None:
        ovs.vsctl("set", "Open_vSwitch", ".", f"other_config:vlan-limit={vlan_limit}")
    ovs.add_bridge("s2", dpid=2)
    ovs.add_port("s2", "wire2", 10)
    ovs.add_port("s2", "p3", 3)
    ovs.ofctl("add-flow", "s2", "in_port=10,dl_vlan=3000,ip,nw_dst=10.1.1.2,actions=pop_vlan,output:3")
    double = bytes(Ether(dst="fa:00:00:00:00:03") / Dot1Q(vlan=3000) / Dot1Q(vlan=200)
                   / IP(src="10.1.1.1", dst="10.1.1.2") / TCP(dport=80))
    ovs.send("wire2", double)
    assert len(ovs.packets_out("p3")) == matched


# --------------------------------------------------------------------------- (c) truncation

def test_c_truncating_output_in_a_bucket_is_accepted_but_drops(ovs, tmp_path):
    one_bridge(ovs)
    line = ("group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
            "bucket=bucket_id:1,actions=output(port=3,max_len=64)")
    ovs.load("s1", write(tmp_path, "g", line), write(tmp_path, "f", "in_port=1,actions=group:1"))
    assert group_desc(ovs) == [line]
    pkt = tcp_frame(payload=b"p" * 200)
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == []          # the copy is silently lost
    trace = ovs.trace("s1", "in_port=1,tcp")
    assert "bucket 1\n            drop" in trace


def test_c_truncating_output_via_resubmit_works(ovs, tmp_path):
    one_bridge(ovs)
    ovs.load("s1", write(tmp_path, "g", "group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
                                        "bucket=bucket_id:1,actions=resubmit(,1)"),
             write(tmp_path, "f", "in_port=1,actions=group:1\n"
                                  "table=1,actions=output(port=3,max_len=64)"))
    pkt = tcp_frame(payload=b"p" * 200)
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == [pkt[:64]]
    assert "trunc(64)" in ovs.trace("s1", "in_port=1,tcp")


def test_c_truncating_output_to_a_patch_port_is_refused(ovs, tmp_path):
    two_bridges(ovs)
    ovs.load("s1", None, write(tmp_path, "f", "in_port=1,actions=output(port=10,max_len=64)"))
    ovs.ofctl("add-flow", "s2", "in_port=10,actions=output:3")
    ovs.send("p1", tcp_frame(payload=b"p" * 200))
    assert ovs.packets_out("p3") == []
    assert "output_trunc does not support patch port 10" in ovs.trace("s1", "in_port=1")


# --------------------------------------------------------------------------- (d) meters

def test_d_ofctl_31_has_no_add_meters(ovs, tmp_path):
    one_bridge(ovs)
    with pytest.raises(OvsError, match="unknown command 'add-meters'"):
        ovs.ofctl("add-meters", "s1", write(tmp_path, "m", "meter=1,pktps,bands=type=drop,rate=10"))
    ovs.ofctl("add-meter", "s1", "meter=1,pktps,bands=type=drop,rate=10")
    assert "meter=1 pktps bands=\ntype=drop rate=10" in ovs.ofctl("dump-meters", "s1")


def _meter_setup(ovs, tmp_path, groups: str, flows: str) -> bytes:
    one_bridge(ovs)
    ovs.load("s1", write(tmp_path, "g", groups), write(tmp_path, "f", flows),
             write(tmp_path, "m", "meter=1,pktps,bands=type=drop,rate=10"))
    # Freeze OVS's clock: the token bucket (burst = rate = 10) cannot refill.
    ovs.appctl("time/stop")
    return tcp_frame()


def test_d_meter_in_a_bucket_is_accepted_but_ignored(ovs, tmp_path):
    line = ("group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
            "bucket=bucket_id:1,actions=meter:1,output:3")
    pkt = _meter_setup(ovs, tmp_path, line, "in_port=1,actions=group:1")
    assert group_desc(ovs) == [line]
    for _ in range(40):
        ovs.send("p1", pkt)
    assert len(ovs.packets_out("p2")) == 40
    assert len(ovs.packets_out("p3")) == 40    # not rate limited at all
    assert "packet_in_count:0" in ovs.ofctl("meter-stats", "s1")


def test_d_meter_via_resubmit_limits_only_the_copy(ovs, tmp_path):
    pkt = _meter_setup(ovs, tmp_path,
                       "group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
                       "bucket=bucket_id:1,actions=resubmit(,1)",
                       "in_port=1,actions=group:1\ntable=1,actions=meter:1,output:3")
    for _ in range(40):
        ovs.send("p1", pkt)
    assert len(ovs.packets_out("p2")) == 40
    assert len(ovs.packets_out("p3")) == 10
    ovs.appctl("time/warp", "1000")            # one second refills 10 tokens
    for _ in range(40):
        ovs.send("p1", pkt)
    assert len(ovs.packets_out("p2")) == 80
    assert len(ovs.packets_out("p3")) == 20


# --------------------------------------------------------------------------- (e) VXLAN

VXLAN_GROUP = ("group_id=1,type=all,bucket=bucket_id:0,actions=output:2,bucket=bucket_id:1,"
               "actions=set_field:192.0.2.9->tun_dst,set_field:7->tun_id,output:20")
TRACE_FLOW = "in_port=1,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,tcp,tp_dst=80"


def _vxlan_bridge(ovs: OvsSandbox, tmp_path) -> None:
    one_bridge(ovs, ports=(1, 2))
    ovs.vsctl("add-port", "s1", "vx", "--", "set", "interface", "vx", "type=vxlan",
              "ofport_request=20", "options:remote_ip=flow", "options:key=flow")
    ovs.load("s1", write(tmp_path, "g", VXLAN_GROUP), write(tmp_path, "f", "in_port=1,actions=group:1"))
    assert group_desc(ovs) == [VXLAN_GROUP.replace("7->tun_id", "0x7->tun_id")]


def test_e_vxlan_under_override_is_just_a_dummy_port(ovs, tmp_path):
    """With --enable-dummy=override even vxlan is a dummy netdev: no tunnel at all."""
    _vxlan_bridge(ovs, tmp_path)
    trace = ovs.trace("s1", TRACE_FLOW)
    assert "native tunnel" not in trace and "tnl_push" not in trace


def test_e_vxlan_without_route_fails_routing(tmp_path):
    with OvsSandbox(dummy="tunnels") as ovs:
        _vxlan_bridge(ovs, tmp_path)
        trace = ovs.trace("s1", TRACE_FLOW)
        assert "-> output to native tunnel" in trace
        assert ">> native tunnel routing failed" in trace


def test_e_vxlan_with_underlay_encapsulates_the_copy(tmp_path):
    with OvsSandbox(dummy="tunnels") as ovs:
        _vxlan_bridge(ovs, tmp_path)
        ovs.add_underlay("ul", "192.0.2.1/24", "eth0", 1,
                         neighbors={"192.0.2.9": "aa:bb:cc:00:00:09"})
        trace = ovs.trace("s1", TRACE_FLOW)
        assert "-> tunneling to 192.0.2.9 via ul" in trace
        assert "-> tunneling from 02:00:00:00:00:fe 192.0.2.1 to aa:bb:cc:00:00:09 192.0.2.9" in trace
        assert "tnl_push(tnl_port(4789)" in trace and "vxlan(flags=0x8000000,vni=0x7)" in trace
        pkt = tcp_frame()
        ovs.send("p1", pkt)
        assert ovs.packets_out("p2") == [pkt]
        [outer] = ovs.packets_out("eth0")
        decoded = Ether(outer)
        assert decoded.dst == "aa:bb:cc:00:00:09" and decoded.src == "02:00:00:00:00:fe"
        assert decoded[IP].src == "192.0.2.1" and decoded[IP].dst == "192.0.2.9"
        assert decoded[UDP].dport == 4789 and decoded[VXLAN].vni == 7
        assert bytes(decoded[VXLAN].payload) == pkt


# --------------------------------------------------------------------------- (f) resubmit

def test_f_resubmit_in_a_bucket(ovs, tmp_path):
    one_bridge(ovs)
    line = ("group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
            "bucket=bucket_id:1,actions=resubmit(,1)")
    ovs.load("s1", write(tmp_path, "g", line),
             write(tmp_path, "f", "in_port=1,actions=group:1\ntable=1,actions=output:3"))
    assert group_desc(ovs) == [line]
    pkt = tcp_frame()
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == [pkt]
