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
The helpers (topologies, packets, delivery checks) live in ``topo_helpers``.
"""

from __future__ import annotations

import json
import re

import pytest

from topo_helpers import (PLACEMENTS, TENANT, assert_delivery, compile_ok, compile_policies,
                          deploy, endpoint, policy, tcp, topology, udp)


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
