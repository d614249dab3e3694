"""Tests of the launcher itself (vtap.sandbox): OvsSandbox must be exact and must clean up,
from Python and from its command line."""

from __future__ import annotations

import gc
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from prerequisites import missing, requires_root
from vtap_import import import_vtap

import_vtap()
from vtap.sandbox import LoggedProcess, OvsError, OvsSandbox, alive, ovs_installed, read_pcap  # noqa: E402


def frame(dst="fa:00:00:00:00:02", src="fa:00:00:00:00:01", payload=b"hello") -> bytes:
    return bytes(Ether(src=src, dst=dst) / IP(src="10.1.1.1", dst="10.1.1.2")
                 / TCP(sport=40000, dport=80) / Raw(payload))


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


# --------------------------------------------------------------------------- the one launcher

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_PY = ROOT / "python" / "vtap" / "sandbox.py"


def cli(*args, module: bool = True) -> subprocess.CompletedProcess:
    """``python3 -m vtap.sandbox ARGS``, or (``module=False``) the source file run as a script
    with nothing on PYTHONPATH, as the C++ tests run it."""
    if module:
        argv, env = [sys.executable, "-m", "vtap.sandbox", *map(str, args)], None
    else:
        argv, env = [sys.executable, str(SANDBOX_PY), *map(str, args)], {
            k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)


def pidfile_pids(directory: Path) -> dict[str, int]:
    return {name: int((directory / f"{name}.pid").read_text()) for name in ("ovsdb", "vswitchd")}


@pytest.mark.parametrize("module", [True, False], ids=["python-m", "source-file"])
def test_command_line_start_bridge_restart_stop(tmp_path, module):
    if not ovs_installed():
        missing("Open vSwitch is not installed")
    directory = tmp_path / "ovs"
    done = cli("start", directory, module=module)
    assert done.returncode == 0, done.stderr
    pids = pidfile_pids(directory)
    try:
        assert all(alive(pid) for pid in pids.values())
        assert json.loads((directory / "sandbox.json").read_text()) == {"dummy": "override", "netns": None}
        assert cli("add-bridge", directory, "br0", "0x2a", module=module).returncode == 0
        ovs = OvsSandbox.attach(directory)
        assert ovs.pids == {"ovsdb-server": pids["ovsdb"], "ovs-vswitchd": pids["vswitchd"]}
        assert "dpid:000000000000002a" in ovs.ofctl("show", ovs.mgmt("br0"))
        assert "datapath_type: dummy" in ovs.vsctl("show")
        ovs.ofctl("add-flow", "br0", "actions=drop")
        done = cli("restart-vswitchd", directory, module=module)
        assert done.returncode == 0, done.stderr
        after = pidfile_pids(directory)
        assert after["ovsdb"] == pids["ovsdb"] and after["vswitchd"] != pids["vswitchd"]
        assert not alive(pids["vswitchd"])
        # As after a crash: the bridge is back, its flows are gone.
        assert "actions=drop" not in OvsSandbox.attach(directory).ofctl("dump-flows", "br0")
        pids = after
    finally:
        done = cli("stop", directory, module=module)
    assert done.returncode == 0, done.stderr
    assert not any(alive(pid) for pid in pids.values())
    assert directory.exists()  # the caller's directory stays
    assert cli("stop", directory).returncode == 0  # twice is fine
    assert cli("stop", tmp_path / "never-started").returncode == 0


def test_command_line_errors_name_the_command(tmp_path):
    done = cli("restart-vswitchd", tmp_path)
    assert done.returncode == 1 and "vtap.sandbox restart-vswitchd: no sandbox in" in done.stderr


def test_stop_never_signals_a_pid_that_is_no_longer_the_daemon(tmp_path):
    """A stale pidfile whose pid now belongs to another program is left alone."""
    (tmp_path / "sandbox.json").write_text('{"dummy": "override", "netns": null}\n')
    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "vswitchd.pid").write_text(f"{other.pid}\n")
        OvsSandbox.attach(tmp_path).stop()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_sigterm_stops_the_daemons():
    """A script killed with SIGTERM inside ``with OvsSandbox()`` leaves nothing running."""
    if not ovs_installed():
        missing("Open vSwitch is not installed")
    script = ("import time\nfrom vtap.sandbox import OvsSandbox\n"
              "with OvsSandbox() as ovs:\n"
              "    print(ovs.pids['ovsdb-server'], ovs.pids['ovs-vswitchd'], ovs.dir, flush=True)\n"
              "    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        *pids, directory = proc.stdout.readline().split()
        assert all(alive(int(pid)) for pid in pids)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert not any(alive(int(pid)) for pid in pids)
    assert not Path(directory).exists()


@requires_root("network namespaces")
def test_netns_mode_runs_vswitchd_in_the_namespace():
    """``dummy=None, netns=NS``: ovs-vswitchd in NS, a netdev bridge, real devices as ports."""
    if not ovs_installed():
        missing("Open vSwitch is not installed")
    ns = f"vtap-sbx{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"], check=True)
        with OvsSandbox(dummy=None, netns=ns) as ovs:
            inode = os.stat(f"/run/netns/{ns}").st_ino
            assert os.stat(f"/proc/{ovs.pids['ovs-vswitchd']}/ns/net").st_ino == inode
            assert os.stat(f"/proc/{ovs.pids['ovsdb-server']}/ns/net").st_ino != inode
            ovs.add_bridge("br0", dpid=1)
            ovs.vsctl("add-port", "br0", "veth0", "--", "set", "interface", "veth0", "ofport_request=1")
            ovs.check_ofport("veth0", 1)
            assert "datapath_type: netdev" in ovs.vsctl("show")
            ovs.crash_and_restart_vswitchd()
            assert os.stat(f"/proc/{ovs.pids['ovs-vswitchd']}/ns/net").st_ino == inode
            ovs.check_ofport("veth0", 1)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_logged_process_waits_for_lines_pauses_and_stops(tmp_path):
    """LoggedProcess: the count-th matching line, SIGSTOP/SIGCONT, a stop that works on a paused
    process, an exit reported with the log, and a start again that appends to the log."""
    script = "import sys, time\nfor i in range(1000):\n    print('tick', i, flush=True)\n    time.sleep(0.02)\n"
    p = LoggedProcess([sys.executable, "-c", script], tmp_path / "ticker.log")
    try:
        assert p.wait_for(r"tick (\d+)", count=3).group(1) == "2"
        p.pause()
        state = lambda: Path(f"/proc/{p.proc.pid}/stat").read_text().split(")")[1].split()[0]  # noqa: E731
        deadline = time.monotonic() + 5
        while state() != "T" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state() == "T"
        paused_at = len(p.text())
        p.resume()
        p.wait_for(r"tick", after=paused_at)
        p.pause()
        p.stop(timeout=5)  # continued, then terminated: not left to SIGKILL's timeout
        assert not p.running() and p.proc is None
        with pytest.raises(OvsError, match="exited"):
            LoggedProcess([sys.executable, "-c", "print('bye')"], tmp_path / "short.log").wait_for("never", 5)
        p.start()
        p.wait_for(r"tick 0", count=2)  # the second run's first line, after the first run's
    finally:
        p.stop()
