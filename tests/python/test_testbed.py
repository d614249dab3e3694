"""vtap.testbed: compute nodes and VMs on private user-space Open vSwitch instances."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from prerequisites import requires_root
from vtap.testbed import Testbed, TestbedError

pytestmark = requires_root("namespaces")


def namespaces() -> set[str]:
    return set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())


def test_two_nodes_joined_by_vxlan_and_everything_removed_after(tmp_path):
    before = namespaces()
    with Testbed({"node1": ["vm1", "vm4"], "node2": ["vm2", "vm3"]}) as tb:
        pids = [pid for node in tb.nodes.values() for pid in node.pids.values()]
        topo = tb.topology_json()
        assert [s["name"] for s in topo["switches"]] == ["node1", "node2"]
        assert topo["links"] == [{"a": {"switch": "node1", "port": 102}, "b": {"switch": "node2", "port": 101}}]
        assert {h["name"]: (h["switch"], h["port"]) for h in topo["hosts"]} == {
            "vm1": ("node1", 1), "vm4": ("node1", 2), "vm2": ("node2", 1), "vm3": ("node2", 2)}
        # Same node, then across the tunnel (the first packet may wait for the underlay's ARP).
        tb.vm("vm1").run("ping", "-c1", "-W2", tb.vm("vm4").ip)
        tb.vm("vm1").run("ping", "-c3", "-i0.2", "-W2", tb.vm("vm2").ip, check=False)
        tb.vm("vm1").run("ping", "-c1", "-W2", tb.vm("vm2").ip)
        # TCP crosses the user-space datapath too (TX offload is off in the VMs).
        server = tb.vm("vm3").popen("python3", "-c", "import socket;s=socket.socket();s.bind(('',7000));s.listen();"
                                    "c,_=s.accept();c.sendall(c.recv(100).upper())")
        try:
            out = tb.vm("vm1").run("python3", "-c", "import socket,time\nfor _ in range(50):\n try:\n"
                                   f"  c=socket.create_connection(('{tb.vm('vm3').ip}',7000),timeout=2);break\n"
                                   " except OSError: time.sleep(0.1)\nc.sendall(b'hello');print(c.recv(100).decode())")
            assert out.stdout.strip() == "HELLO"
        finally:
            server.kill()
            server.wait()
    assert namespaces() == before
    assert not any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]
                   for pid in pids)


def test_a_failure_while_starting_cleans_up():
    before = namespaces()
    with pytest.raises(TestbedError):
        with Testbed({"node1": [{"name": "vm1", "ip": "not-an-ip"}]}):
            pass
    assert namespaces() == before
