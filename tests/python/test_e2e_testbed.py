"""End to end: the paper's Fig. 4 policies applied through ``vtap.Service`` on a two-node
user-space testbed (VXLAN between the nodes), real packets from VM namespaces, tcpdump at
every VM. The monitors must get byte-identical copies of what the receivers got, nothing
else; the sender sees no duplicate replies; removing a policy stops its copies; the
service's counters agree with the captures.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from prerequisites import requires_root
from vm_captures import VmCaptures
from vtap_import import import_vtap

vtap = import_vtap()
from vtap.testbed import Testbed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = requires_root("namespaces")

NODES = {
    "node1": [{"name": "vm1", "mac": "fa:00:00:00:00:01", "ip": "10.1.1.1"},
              {"name": "vm4", "mac": "fa:00:00:00:00:04", "ip": "10.1.1.4"}],
    "node2": [{"name": "vm2", "mac": "fa:00:00:00:00:02", "ip": "10.1.1.2"},
              {"name": "vm3", "mac": "fa:00:00:00:00:03", "ip": "10.1.1.3"}],
}
HTTP = ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:02')/IP(src='10.1.1.1',dst='10.1.1.2')"
               "/TCP(sport=40000+i,dport=80,flags='S')/Raw(b'GET / HTTP/1.1\\r\\n\\r\\n') for i in range(5)]")
SSH = ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:02')/IP(src='10.1.1.1',dst='10.1.1.2')"
              "/TCP(sport=41000+i,dport=22,flags='S') for i in range(3)]")
TO_MONITOR = ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:03')/IP(src='10.1.1.1',dst='10.1.1.3')"
                     "/TCP(sport=43000+i,dport=80,flags='S') for i in range(2)]")
VLAN = ("vm2", "[Ether(src='fa:00:00:00:00:02',dst='fa:00:00:00:00:01')/Dot1Q(vlan=200)"
               "/IP(src='10.1.1.2',dst='10.1.1.1',tos=3)/TCP(sport=44000+i,dport=5001,flags='S') for i in range(3)]")


def send(tb: Testbed, traffic: tuple[str, str]) -> None:
    vm, frames = traffic
    code = ("from scapy.all import Ether, IP, TCP, UDP, Raw, Dot1Q, sendp, conf\nconf.verb = 0\n"
            f"sendp({frames}, iface='eth0', inter=0.02)\n")
    tb.vm(vm).run(sys.executable, "-c", code)


def ip_between(frames: list[bytes], src: str, dst: str) -> list[bytes]:
    from scapy.all import IP, Ether
    return [f for f in frames if IP in Ether(f) and Ether(f)[IP].src == src and Ether(f)[IP].dst == dst]


def tagged(frames: list[bytes]) -> list[bytes]:
    from scapy.all import Dot1Q, Ether
    return [f for f in frames if Dot1Q in Ether(f)]


@pytest.fixture
def fig4(tmp_path):
    with Testbed(NODES, subnet="10.1.1.0/24") as tb:
        # Warm the underlay's neighbour tables, so the first tunnelled packet is not lost to ARP.
        tb.vm("vm1").run("ping", "-c3", "-i0.2", "-W1", "10.1.1.2", check=False)
        service = vtap.Service(tb.topology, tb.targets)
        for p in vtap.load_policies(str(ROOT / "examples" / "fig4" / "policies.json")):
            service.add(p)
        yield tb, service


def test_fig4_copies_are_byte_identical_and_only_what_matches(fig4, tmp_path):
    tb, service = fig4
    cap = VmCaptures(tb, tmp_path)
    for traffic in (HTTP, SSH, TO_MONITOR, VLAN):
        send(tb, traffic)
    got = cap.stop()
    http_at_vm2 = [f for f in ip_between(got["vm2"], "10.1.1.1", "10.1.1.2") if b"HTTP" in f]
    assert len(http_at_vm2) == 5
    assert ip_between(got["vm3"], "10.1.1.1", "10.1.1.2") == http_at_vm2  # copies: HTTP only, byte for byte
    assert len(ip_between(got["vm3"], "10.1.1.1", "10.1.1.3")) == 2       # genuine traffic untouched
    # vm2's kernel answers the SYNs with RSTs: untagged, so policy 3 does not copy them.
    vlan_at_vm1 = tagged(ip_between(got["vm1"], "10.1.1.2", "10.1.1.1"))
    assert len(vlan_at_vm1) == 3 and ip_between(got["vm4"], "10.1.1.2", "10.1.1.1") == vlan_at_vm1

    # Counters agree with the captures (after the datapath's cache pushed its counts up).
    for node in tb.nodes.values():
        node.appctl("revalidator/purge")
    stats = service.stats()
    assert stats[1].packets == 5 and stats[1].copies == 5
    assert stats[3].packets == 3 and stats[3].copies == 3

    # Removing policy 1 stops its copies; policy 3 keeps working.
    service.remove(1)
    cap = VmCaptures(tb, tmp_path)
    send(tb, HTTP)
    send(tb, VLAN)
    got = cap.stop()
    assert len(ip_between(got["vm2"], "10.1.1.1", "10.1.1.2")) == 5
    assert ip_between(got["vm3"], "10.1.1.1", "10.1.1.2") == []
    assert len(tagged(ip_between(got["vm4"], "10.1.1.2", "10.1.1.1"))) == 3


def test_the_sender_sees_no_duplicate_replies(fig4):
    tb, service = fig4
    policy = vtap.TapPolicy(sender=vtap.Endpoint(mac="fa:00:00:00:00:01"), receiver=vtap.Endpoint(mac="fa:00:00:00:00:02"),
                            monitor=vtap.Endpoint(mac="fa:00:00:00:00:03"), filter="icmp")
    service.add(policy)
    out = tb.vm("vm1").run("ping", "-c5", "-i0.2", "-W2", "10.1.1.2").stdout
    assert "5 received" in out and "DUP" not in out, out
