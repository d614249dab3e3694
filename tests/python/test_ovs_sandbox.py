"""Tests of the test harness itself: OvsSandbox must be exact and must clean up."""

from __future__ import annotations

import gc
import os
import struct
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from ovs_sandbox import OvsError, OvsSandbox, read_pcap


def frame(dst="fa:00:00:00:00:02", src="fa:00:00:00:00:01", payload=b"hello") -> bytes:
    return bytes(Ether(src=src, dst=dst) / IP(src="10.1.1.1", dst="10.1.1.2")
                 / TCP(sport=40000, dport=80) / Raw(payload))


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def three_port_bridge(ovs: OvsSandbox) -> None:
    ovs.add_bridge("s1", dpid=1)
    for port in (1, 2, 3):
        ovs.add_port("s1", f"p{port}", port)


def test_bridge_starts_empty_and_drops(ovs):
    three_port_bridge(ovs)
    dump = ovs.ofctl("dump-flows", "s1")
    assert [line for line in dump.splitlines() if "actions=" in line] == []
    assert "fail_mode: secure" in ovs.vsctl("show")
    ovs.send("p1", frame())
    assert [ovs.packets_out(p) for p in ("p1", "p2", "p3")] == [[], [], []]


def test_datapath_id_and_ofports(ovs):
    three_port_bridge(ovs)
    show = ovs.ofctl("show", "s1")
    assert "dpid:0000000000000001" in show
    for port in (1, 2, 3):
        assert f" {port}(p{port}):" in show


def test_l2_rule_delivers_exact_bytes_to_one_port_only(ovs):
    three_port_bridge(ovs)
    ovs.ofctl("add-flow", "s1", "priority=10,dl_dst=fa:00:00:00:00:02,actions=output:2")
    ovs.ofctl("add-flow", "s1", "priority=10,dl_dst=fa:00:00:00:00:03,actions=output:3")
    pkt = frame(payload=b"x" * 300)
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    # The injected frame is not recorded on its ingress port (tx_pcap only).
    assert ovs.packets_out("p1") == []
    assert ovs.packets_out("p3") == []


def test_many_sends_are_all_complete_on_return(ovs):
    """send() returns only when the frame is processed: no sleeps needed."""
    three_port_bridge(ovs)
    ovs.ofctl("add-flow", "s1", "in_port=1,actions=output:2")
    sent = []
    for i in range(50):
        pkt = frame(payload=b"n%d" % i)
        ovs.send("p1", pkt)
        sent.append(pkt)
        assert ovs.packets_out("p2") == sent


def test_send_sees_the_current_flow_table(ovs):
    """A flow change applies to the very next send (datapath cache purged)."""
    three_port_bridge(ovs)
    ovs.ofctl("add-flow", "s1", "in_port=1,actions=output:2")
    pkt = frame()
    ovs.send("p1", pkt)
    ovs.ofctl("mod-flows", "s1", "in_port=1,actions=output:3")
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == [pkt]


def test_clear_captures(ovs):
    three_port_bridge(ovs)
    ovs.ofctl("add-flow", "s1", "in_port=1,actions=output:2")
    ovs.send("p1", frame(payload=b"first"))
    ovs.clear_captures()
    assert ovs.packets_out("p2") == []
    ovs.send("p1", frame(payload=b"second"))
    assert ovs.packets_out("p2") == [frame(payload=b"second")]


def test_patch_ports_join_bridges(ovs):
    ovs.add_bridge("s1", dpid=1)
    ovs.add_bridge("s2", dpid=2)
    ovs.add_port("s1", "vm1", 1)
    ovs.add_port("s2", "vm2", 2)
    ovs.add_patch("s1", "s1-s2", 10, "s2", "s2-s1", 11)
    ovs.ofctl("add-flow", "s1", "dl_dst=fa:00:00:00:00:02,actions=output:10")
    ovs.ofctl("add-flow", "s2", "in_port=11,dl_dst=fa:00:00:00:00:02,actions=output:2")
    pkt = frame()
    ovs.send("vm1", pkt)
    assert ovs.packets_out("vm2") == [pkt]
    trace = ovs.trace("s1", "in_port=1,dl_dst=fa:00:00:00:00:02")
    assert 'bridge("s2")' in trace and "Datapath actions:" in trace


def test_load_installs_groups_then_flows_and_skips_empty_files(ovs, tmp_path):
    three_port_bridge(ovs)
    groups = tmp_path / "s1.groups"
    flows = tmp_path / "s1.flows"
    meters = tmp_path / "s1.meters"
    groups.write_text("group_id=1,type=all,bucket=bucket_id:0,actions=output:2,"
                      "bucket=bucket_id:1,actions=output:3\n")
    flows.write_text("priority=100,in_port=1,actions=group:1\n")
    meters.write_text("\n")
    ovs.load("s1", groups, flows, meters)
    ovs.load("s1", tmp_path / "missing.groups", tmp_path / "missing.flows")
    pkt = frame()
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == [pkt]


def test_load_meters_line_by_line(ovs, tmp_path):
    three_port_bridge(ovs)
    meters = tmp_path / "s1.meters"
    meters.write_text("# two meters\nmeter=1,pktps,bands=type=drop,rate=10\n"
                      "meter=2,kbps,bands=type=drop,rate=1000\n")
    ovs.load("s1", None, None, meters)
    dump = ovs.ofctl("dump-meters", "s1")
    assert "meter=1 pktps" in dump and "meter=2 kbps" in dump


def test_command_failure_raises_with_stderr(ovs):
    three_port_bridge(ovs)
    with pytest.raises(OvsError, match="actions=frobnicate|frobnicate"):
        ovs.ofctl("add-flow", "s1", "actions=frobnicate")
    with pytest.raises(OvsError, match="no bridge named nosuch"):
        ovs.vsctl("br-to-vlan", "nosuch")
    with pytest.raises(OvsError, match="not a valid|unknown command"):
        ovs.appctl("no/such/command")


def test_stop_kills_daemons_and_removes_directory():
    with OvsSandbox() as sandbox:
        pids = dict(sandbox.pids)
        directory = sandbox.dir
        assert set(pids) == {"ovsdb-server", "ovs-vswitchd"}
        assert all(alive(pid) for pid in pids.values())
    assert not any(alive(pid) for pid in pids.values())
    assert not directory.exists()


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_cleanup_on_exception(exc):
    pids = {}
    with pytest.raises(exc):
        with OvsSandbox() as sandbox:
            pids.update(sandbox.pids)
            sandbox.add_bridge("s1", dpid=1)
            raise exc("boom")
    assert pids and not any(alive(pid) for pid in pids.values())


def test_finalizer_is_a_safety_net():
    """A sandbox that is never stopped is cleaned up when it is collected."""
    sandbox = OvsSandbox()
    sandbox.start()
    pids = list(sandbox.pids.values())
    directory = sandbox.dir
    del sandbox
    gc.collect()
    assert not any(alive(pid) for pid in pids)
    assert not directory.exists()


def test_keep_leaves_logs_but_no_processes():
    with OvsSandbox(keep=True) as sandbox:
        pids = list(sandbox.pids.values())
        directory = sandbox.dir
    try:
        assert not any(alive(pid) for pid in pids)
        assert (directory / "vswitchd.log").exists()
    finally:
        import shutil
        shutil.rmtree(directory, ignore_errors=True)


def test_read_pcap_edge_cases(tmp_path):
    assert read_pcap(tmp_path / "absent.pcap") == []
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    record = struct.pack("<IIII", 0, 0, 3, 3) + b"abc"
    cut = struct.pack("<IIII", 0, 0, 10, 10) + b"abcd"
    path = tmp_path / "x.pcap"
    path.write_bytes(header + record + cut)
    assert read_pcap(path) == [b"abc"]
    path.write_bytes(b"\x00" * 24)
    with pytest.raises(ValueError):
        read_pcap(path)


def test_udp_and_broadcast_frames_are_captured_verbatim(ovs):
    three_port_bridge(ovs)
    ovs.ofctl("add-flow", "s1", "in_port=1,actions=output:2,output:3")
    pkt = bytes(Ether(src="fa:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff")
                / IP(src="10.1.1.1", dst="10.1.1.255") / UDP(sport=1, dport=2) / Raw(b"\x00" * 7))
    ovs.send("p1", pkt)
    assert ovs.packets_out("p2") == [pkt]
    assert ovs.packets_out("p3") == [pkt]


def test_no_sandbox_leaks_into_environment(ovs):
    """All ovs-* commands run with the sandbox's directories, not the system's."""
    for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
        assert ovs.env[var] == str(ovs.dir)
        assert os.environ.get(var) != str(ovs.dir)
    assert (ovs.dir / f"ovs-vswitchd.{ovs.pids['ovs-vswitchd']}.ctl").exists()
