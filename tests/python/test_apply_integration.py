"""``vtapctl apply`` / ``dump`` over the native OpenFlow transport against a real ovs-vswitchd.

The oracle is Open vSwitch itself: for each switch, a reference bridge gets vtapctl's
compiled text through ``ovs-ofctl --bundle add-groups/add-flows``; the bridge vtapctl
programmed through its own codec and session must dump identically.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from topo_helpers import Network, compile_ok, policy, tcp, assert_delivery, topology

POLICIES = [
    policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80"),
    policy(2, "vm1", "vm2", "vm4", "tcp", truncate=100),
    policy(3, "vm2", "vm1", "vm3", "udp", rate_limit={"pktps": 50}),
]


def run(vtapctl: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(vtapctl), *args], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, f"vtapctl {' '.join(args)} failed: {result.stderr}"
    return result


def switch_args(net: Network) -> list[str]:
    return [f"--switch={s}=unix:{net.ovs.dir}/{s}.mgmt" for s in net.topo.switches]


def apply(vtapctl: Path, net: Network, workdir: Path, *extra: str, check: bool = True):
    return run(vtapctl, "apply", "--topology", str(workdir / "topology.json"),
               "--policies", str(workdir / "policies.json"), *switch_args(net), *extra, check=check)


def dump_state(net: Network, bridge: str, proto: str = "OpenFlow15") -> tuple[list[str], list[str], list[str]]:
    """Sorted libvtap-owned flows, all groups and meters of a bridge, without counters."""
    flows = net.ovs.ofctl("-O", proto, "--no-stats", "--sort", "dump-flows", bridge,
                          "cookie=0x7674000000000000/0xffff000000000000").splitlines()
    groups = net.ovs.ofctl("-O", proto, "dump-groups", bridge).splitlines()[1:]
    meters = net.ovs.ofctl("-O", proto, "dump-meters", bridge).splitlines()[1:]
    return sorted(flows), sorted(g.strip() for g in groups), sorted(m.strip() for m in meters)


def reference_state(net: Network, out: Path, switch: str,
                    proto: str = "OpenFlow15") -> tuple[list[str], list[str], list[str]]:
    """The same plan loaded by ovs-ofctl into a scratch bridge."""
    ref = f"ref-{switch}"
    net.ovs.add_bridge(ref, dpid=0xfff0 + int(switch[1:]))
    try:
        if (out / f"{switch}.groups").exists():
            net.ovs.load(ref, out / f"{switch}.groups", out / f"{switch}.flows",
                         out / f"{switch}.meters" if (out / f"{switch}.meters").exists() else None)
        return dump_state(net, ref, proto)
    finally:
        net.ovs.vsctl("del-br", ref)


@pytest.mark.parametrize("placement", ["2sw-monitor-at-receiver", "3sw-monitor-on-third"])
def test_apply_installs_exactly_the_compiled_plan(ovs, vtapctl, tmp_path, placement):
    topo = topology(placement)
    out = compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    result = apply(vtapctl, net, tmp_path)
    assert "OpenFlow15" in result.stdout
    for s in topo.switches:
        assert dump_state(net, s) == reference_state(net, out, s), s
    # The installed rules work: an HTTP packet reaches vm2, vm3 and vm4 (truncated to 100).
    frame = tcp("vm1", "vm2", dport=80)
    got = net.deliver("vm1", frame)
    assert got["vm2"] == [frame] and got["vm3"] == [frame] and got["vm4"] == [frame[:100]]


def test_reapplying_changes_nothing_and_removal_deletes_only_its_rules(ovs, vtapctl, tmp_path):
    topo = topology("3sw-monitor-on-third")
    compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    apply(vtapctl, net, tmp_path)
    again = apply(vtapctl, net, tmp_path)
    assert again.stdout.count("no change") == len(topo.switches), again.stdout
    own_forwarding = {s: net.ovs.ofctl("--no-stats", "--sort", "dump-flows", s, "cookie=0/-1") for s in topo.switches}

    out = compile_ok(vtapctl, tmp_path, topo, POLICIES[:1])
    apply(vtapctl, net, tmp_path)
    for s in topo.switches:
        assert dump_state(net, s) == reference_state(net, out, s), s
        # The switch's own rules (cookie 0) were never touched.
        assert net.ovs.ofctl("--no-stats", "--sort", "dump-flows", s, "cookie=0/-1") == own_forwarding[s]

    compile_ok(vtapctl, tmp_path, topo, [])
    apply(vtapctl, net, tmp_path)
    for s in topo.switches:
        assert dump_state(net, s) == ([], [], []), s


def test_dump_prints_the_owned_rules(ovs, vtapctl, tmp_path):
    topo = topology("2sw-monitor-at-receiver")
    out = compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    apply(vtapctl, net, tmp_path)
    dumped = run(vtapctl, "dump", *switch_args(net)).stdout
    for s in topo.switches:
        for kind in ("groups", "flows", "meters"):
            path = out / f"{s}.{kind}"
            if path.exists():
                for line in path.read_text().splitlines():
                    assert f" {line}\n" in dumped, f"{s}: {line} missing from:\n{dumped}"


@pytest.mark.parametrize("protocols", ["OpenFlow13", "OpenFlow14", "OpenFlow15"])
def test_version_negotiation_with_limited_bridges(ovs, vtapctl, tmp_path, protocols):
    topo = topology("2sw-monitor-at-receiver")
    out = compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    for s in topo.switches:
        net.ovs.vsctl("set", "bridge", s, f"protocols={protocols}")
    result = apply(vtapctl, net, tmp_path)
    assert result.stdout.count(protocols) == len(topo.switches), result.stdout
    for s in topo.switches:
        assert dump_state(net, s, protocols) == reference_state(net, out, s, protocols), s


def test_no_common_version_is_a_clear_error(ovs, vtapctl, tmp_path):
    topo = topology("1sw")
    compile_ok(vtapctl, tmp_path, topo, POLICIES[:1])
    net = Network(ovs, topo)
    net.build()
    net.ovs.vsctl("set", "bridge", "s1", "protocols=OpenFlow13")
    result = apply(vtapctl, net, tmp_path, "--protocols=OpenFlow15", check=False)
    assert result.returncode == 1
    assert "no OpenFlow version in common" in result.stderr, result.stderr


def test_a_refused_change_leaves_the_switch_as_it_was(ovs, vtapctl, tmp_path):
    topo = topology("1sw")
    compile_ok(vtapctl, tmp_path, topo, POLICIES[:1])
    net = Network(ovs, topo)
    net.build()
    apply(vtapctl, net, tmp_path)
    before = dump_state(net, "s1")
    # Table 0 may hold no more flows than it has now: the next policy's flow is refused.
    n = len(net.ovs.ofctl("--no-stats", "dump-flows", "s1", "table=0").splitlines())
    net.ovs.vsctl("--", "--id=@ft", "create", "Flow_Table", f"flow_limit={n}", "overflow_policy=refuse",
                  "--", "set", "bridge", "s1", "flow_tables:0=@ft")
    compile_ok(vtapctl, tmp_path, topo, POLICIES[:2])
    result = apply(vtapctl, net, tmp_path, check=False)
    assert result.returncode == 1
    assert "OFPFMFC_TABLE_FULL" in result.stderr and "the switch was put back as it was" in result.stderr, result.stderr
    assert dump_state(net, "s1") == before


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_apply_over_ssl_with_ovs_pki_certificates(ovs, vtapctl, tmp_path):
    """ssl: like ovs-ofctl: both ends present certificates signed by ovs-pki's CAs."""
    pki = tmp_path / "pki"
    subprocess.run(["ovs-pki", "init", f"--dir={pki}", "--force"], check=True, capture_output=True, cwd=tmp_path)
    for name, kind in (("ctl", "controller"), ("sc", "switch")):
        subprocess.run(["ovs-pki", f"--dir={pki}", "req+sign", name, kind], check=True, capture_output=True,
                       cwd=tmp_path)
    topo = topology("1sw")
    out = compile_ok(vtapctl, tmp_path, topo, POLICIES[:2])
    net = Network(ovs, topo)
    net.build()
    port = free_port()
    ovs.vsctl("set-ssl", tmp_path / "sc-privkey.pem", tmp_path / "sc-cert.pem", pki / "controllerca" / "cacert.pem")
    ovs.vsctl("set-controller", "s1", f"pssl:{port}:127.0.0.1")
    target = f"ssl:127.0.0.1:{port}"
    certs = ["--private-key", str(tmp_path / "ctl-privkey.pem"), "--certificate", str(tmp_path / "ctl-cert.pem"),
             "--ca-cert", str(pki / "switchca" / "cacert.pem")]
    args = ["--topology", str(tmp_path / "topology.json"), "--policies", str(tmp_path / "policies.json")]
    for _ in range(50):  # ovs-vswitchd opens the listener asynchronously
        result = run(vtapctl, "apply", *args, f"--switch=s1={target}", *certs, check=False)
        if "cannot connect" not in result.stderr:
            break
        import time
        time.sleep(0.1)
    assert result.returncode == 0, result.stderr
    assert f"s1 ({target}, OpenFlow15" in result.stdout
    assert dump_state(net, "s1") == reference_state(net, out, "s1")
    # Missing key: named before anything is sent.  A certificate the switch's CA did not
    # sign: the switch refuses the handshake, a clear error.
    nokey = run(vtapctl, "dump", f"--switch=s1={target}", *certs[2:], check=False)
    assert nokey.returncode == 1 and "ssl needs a private key" in nokey.stderr, nokey.stderr
    other = tmp_path / "other-pki"
    subprocess.run(["ovs-pki", "init", f"--dir={other}", "--force"], check=True, capture_output=True, cwd=tmp_path)
    subprocess.run(["ovs-pki", f"--dir={other}", "req+sign", "rogue", "controller"], check=True, capture_output=True,
                   cwd=tmp_path)
    rogue = ["--private-key", str(tmp_path / "rogue-privkey.pem"), "--certificate", str(tmp_path / "rogue-cert.pem")]
    wrong = run(vtapctl, "dump", f"--switch=s1={target}", *rogue, *certs[4:], check=False)
    assert wrong.returncode == 1 and "cannot connect" in wrong.stderr, wrong.stderr


def test_apply_to_netdev_bridges(ovs, vtapctl, tmp_path):
    """The user-space (netdev) datapath takes the same plan as the dummy one (real packets
    through netdev bridges: scripts/demo.sh)."""
    topo = topology("2sw-monitor-at-receiver")
    out = compile_ok(vtapctl, tmp_path, topo, POLICIES)
    net = Network(ovs, topo)
    net.build()
    for s in topo.switches:
        ovs.vsctl("set", "bridge", s, "datapath_type=netdev")
    apply(vtapctl, net, tmp_path)
    for s in topo.switches:
        assert dump_state(net, s) == reference_state(net, out, s), s
