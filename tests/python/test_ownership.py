"""libvtap beside another controller on the same bridge, as an operator meets it.

Another controller already holds groups 1-3 and meters 1-2 (as ovn-controller does for its
load balancers and meters). ``vtapctl apply`` must tap without touching them, and a range
that strays into the other controller's ids must be refused before anything is sent.
ovs-ofctl is the oracle of what the bridge holds.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from topo_helpers import Network, compile_ok, policy, tcp, topology
from vtap_import import import_vtap

vtap = import_vtap()

POLICIES = [
    policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80"),
    policy(2, "vm1", "vm2", "vm4", "udp", rate_limit={"pktps": 50}),
    policy(3, "vm2", "vm1", "vm3", "icmp", rate_limit={"kbps": 1000}),
]


def foreign_state(net: Network) -> list[str]:
    """Everything on s1 that is not libvtap's, without counters, sorted."""
    flows = net.ovs.ofctl("-O", "OpenFlow15", "--no-stats", "--sort", "dump-flows", "s1").splitlines()
    groups = net.ovs.ofctl("-O", "OpenFlow15", "dump-groups", "s1").splitlines()[1:]
    meters = net.ovs.ofctl("-O", "OpenFlow15", "dump-meters", "s1").replace("\n", " ").split("meter=")[1:]
    mine = vtap.DEFAULT_GROUP_RANGE
    return sorted([f for f in flows if "cookie=0x7674" not in f and not f.startswith("OFPST")]
                  + [g.strip() for g in groups if int(g.split("group_id=")[1].split(",")[0]) not in mine]
                  + ["meter=" + m.strip() for m in meters if int(m.split()[0]) not in vtap.DEFAULT_METER_RANGE])


def apply(vtapctl: Path, net: Network, workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(vtapctl), "apply", "--topology", str(workdir / "topology.json"),
                           "--policies", str(workdir / "policies.json"),
                           f"--switch=s1=unix:{net.ovs.dir}/s1.mgmt", *extra],
                          capture_output=True, text=True, timeout=120)


def test_id_ranges_in_python():
    r = vtap.IdRange.parse("0xe0000000-0xefffffff")
    assert r == vtap.DEFAULT_GROUP_RANGE == vtap.IdRange(0xE0000000, 0xEFFFFFFF)
    assert 0xe0000000 in r and 1 not in r and len(r) == 1 << 28
    with pytest.raises(vtap.ParseError, match="FIRST-LAST"):
        vtap.IdRange.parse("5")
    options = vtap.TranslatorOptions(groups=(100, 199), meters=vtap.IdRange(7, 9))
    assert options.groups == vtap.IdRange(100, 199) and options.meters.first == 7
    assert issubclass(vtap.OwnershipError, vtap.Error)


def test_apply_beside_another_controllers_groups_and_meters(ovs, vtapctl, tmp_path):
    topo = topology("1sw")
    compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    for g in (1, 2, 3):
        net.ovs.ofctl("-O", "OpenFlow15", "add-group", "s1", f"group_id={g},type=all,bucket=output:{g}")
    for m in (1, 2):
        net.ovs.ofctl("-O", "OpenFlow15", "add-meter", "s1", f"meter={m},pktps,band=type=drop,rate=100")
    net.ovs.ofctl("-O", "OpenFlow15", "add-flow", "s1", "cookie=0x1,table=7,priority=10,actions=meter:1,group:1")
    net.ovs.ofctl("-O", "OpenFlow15", "add-flow", "s1", "cookie=0x2,table=7,priority=20,tcp,actions=meter:2,group:3")
    before = foreign_state(net)
    assert any("group_id=3" in line for line in before) and any("meter=2" in line for line in before)

    result = apply(vtapctl, net, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "+3 groups" in result.stdout and "+2 meters" in result.stdout, result.stdout
    assert foreign_state(net) == before
    frame = tcp("vm1", "vm2", dport=80)
    got = net.deliver("vm1", frame)
    assert got["vm2"] == [frame] and got["vm3"] == [frame]

    # A range that strays into the other controller's ids: named, and nothing is sent.
    everything = net.ovs.ofctl("-O", "OpenFlow15", "--no-stats", "--sort", "dump-flows", "s1")
    result = apply(vtapctl, net, tmp_path, "--groups=1-1000")
    assert result.returncode == 1
    assert "another controller uses ids in libvtap's ranges" in result.stderr, result.stderr
    assert "group 0x1 is used by flow table=7,priority=10,cookie=0x1" in result.stderr, result.stderr
    assert net.ovs.ofctl("-O", "OpenFlow15", "--no-stats", "--sort", "dump-flows", "s1") == everything
    assert foreign_state(net) == before

    bad = subprocess.run([str(vtapctl), "compile", "--groups=9-3"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--groups: 9-3 must satisfy" in bad.stderr, bad.stderr
