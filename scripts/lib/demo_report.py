"""Reads the demo's captures and checks that each monitor got exactly the right copies."""
import sys
from pathlib import Path

from scapy.all import IP, TCP, UDP, Dot1Q, Ether, rdpcap


def frames(work: Path, vm: str) -> list[bytes]:
    return [bytes(p) for p in rdpcap(str(work / f"{vm}.pcap"))]


def describe(raw: bytes) -> str:
    p = Ether(raw)
    vlan = f" vlan {p[Dot1Q].vlan}" if Dot1Q in p else ""
    l4 = f"tcp/{p[TCP].dport}" if TCP in p else f"udp/{p[UDP].dport}" if UDP in p else "other"
    return f"{p[IP].src} -> {p[IP].dst} {l4}{vlan}" if IP in p else p.summary()


def main() -> int:
    work = Path(sys.argv[1])
    got = {vm: frames(work, vm) for vm in ("vm1", "vm2", "vm3", "vm4")}
    for vm, fs in got.items():
        print(f"{vm} received {len(fs)} frames")
        for f in fs:
            print(f"    {describe(f)}")

    def from_to(raw: bytes, src: str, dst: str) -> bool:
        p = Ether(raw)
        return IP in p and p[IP].src == src and p[IP].dst == dst

    http_to_vm2 = [f for f in got["vm2"] if from_to(f, "10.1.1.1", "10.1.1.2") and TCP in Ether(f) and Ether(f)[TCP].dport == 80]
    copies_at_vm3 = [f for f in got["vm3"] if from_to(f, "10.1.1.1", "10.1.1.2")]
    genuine_at_vm3 = [f for f in got["vm3"] if from_to(f, "10.1.1.1", "10.1.1.3")]
    tagged_to_vm1 = [f for f in got["vm1"] if Dot1Q in Ether(f)]
    copies_at_vm4 = [f for f in got["vm4"] if from_to(f, "10.1.1.2", "10.1.1.1")]
    checks = [
        ("policy 1: vm3 got one copy of each HTTP packet vm2 received, byte for byte",
         len(http_to_vm2) == 3 and copies_at_vm3 == http_to_vm2),
        ("policy 1: vm3 got no copy of ssh/dns traffic", len(copies_at_vm3) == 3),
        ("genuine vm1 -> vm3 traffic reached vm3 once, unmodified", len(genuine_at_vm3) == 2),
        ("policy 3: vm4 got one copy of each VLAN 200/ECN 3 packet vm1 received, byte for byte",
         len(tagged_to_vm1) == 3 and copies_at_vm4 == tagged_to_vm1),
        ("nobody else got anything", len(got["vm4"]) == 3 and len(got["vm3"]) == 5),
    ]
    print()
    for text, ok in checks:
        print(f"[{'ok' if ok else 'FAIL'}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
