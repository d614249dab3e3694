"""Sends the demo's packets from inside the VM namespaces (scripts/demo.sh)."""
import subprocess
import sys

PAYLOAD = b"GET / HTTP/1.1\r\nHost: vm2\r\n\r\n"
# (sender, scapy expression of the frames to send)
TRAFFIC = [
    ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:02')/IP(src='10.1.1.1',dst='10.1.1.2')"
            "/TCP(sport=40000+i,dport=80,flags='S')/Raw(PAYLOAD) for i in range(3)]"),
    ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:02')/IP(src='10.1.1.1',dst='10.1.1.2')"
            "/TCP(sport=41000+i,dport=22,flags='S') for i in range(2)]"),
    ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:02')/IP(src='10.1.1.1',dst='10.1.1.2')"
            "/UDP(sport=42000+i,dport=53)/Raw(b'query') for i in range(2)]"),
    ("vm1", "[Ether(src='fa:00:00:00:00:01',dst='fa:00:00:00:00:03')/IP(src='10.1.1.1',dst='10.1.1.3')"
            "/TCP(sport=43000+i,dport=80,flags='S')/Raw(PAYLOAD) for i in range(2)]"),
    ("vm2", "[Ether(src='fa:00:00:00:00:02',dst='fa:00:00:00:00:01')/Dot1Q(vlan=200)"
            "/IP(src='10.1.1.2',dst='10.1.1.1',tos=3)/TCP(sport=44000+i,dport=5001,flags='S') for i in range(3)]"),
    ("vm2", "[Ether(src='fa:00:00:00:00:02',dst='fa:00:00:00:00:01')"
            "/IP(src='10.1.1.2',dst='10.1.1.1',tos=3)/TCP(sport=45000+i,dport=5001,flags='S') for i in range(2)]"),
]

INSIDE = """
import sys
from scapy.all import Ether, IP, TCP, UDP, Raw, Dot1Q, sendp, conf
conf.verb = 0
PAYLOAD = {payload!r}
frames = {frames}
sendp(frames, iface='eth0', inter=0.05)
"""


def main() -> None:
    tag = sys.argv[1]
    for host, frames in TRAFFIC:
        code = INSIDE.format(payload=PAYLOAD, frames=frames)
        subprocess.run(["ip", "netns", "exec", f"{tag}-{host}", sys.executable, "-c", code], check=True)


if __name__ == "__main__":
    main()
