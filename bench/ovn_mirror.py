#!/usr/bin/env python3
"""OVN's own port mirroring beside libvtap, on one private OVN 23.03 chassis (vtap.ovn):
policy-to-first-copy latency and the data-plane cost of a copy.

The peer is OVN's Northbound ``Mirror`` (``ovn-nbctl mirror-add m0 gre 1 to-lport SINK``,
then ``lsp-attach-mirror PORT m0``): northd and ovn-controller turn it into an OVS
``Mirror`` whose output is a GRE port to SINK. Here SINK is a namespace behind a netdev
bridge ``br-mir`` (172.31.254.0/24) in the chassis, and the copies are read from the GRE
packets arriving there. libvtap's copies go from ``br-int`` to the monitor VM's port
(``Service`` with ``--forwarding=resubmit:0``, as in docs/ovn.md).

* Latency: a probe stream (UDP, one frame every --gap-ms) runs from vm1 to vm2; per trial,
  interleaved, the time from ``Service.add`` of a policy copying it to vm3, and from
  ``ovn-nbctl lsp-attach-mirror vm2 m0``, to the first copy captured (at vm3, at the GRE
  sink), then the copying is stopped again (``Service.remove``, ``lsp-detach-mirror``)
  and the copies must stop.
* Data plane: a bulk TCP transfer vm1 -> vm2 for --seconds, without copies, with a libvtap
  tap of it, with OVN's mirror of vm2's port; interleaved rounds, medians, ratios to no copy.

    python3 bench/ovn_mirror.py [--trials 20] [--rounds 3] [--seconds 2] [--gap-ms 0.5]

Needs root, Open vSwitch, OVN and the vtap package (PYTHONPATH=build/python).
"""
from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

import vtap
from vtap.ovn import OvnChassis

VMS = [{"name": f"vm{i}", "mac": f"fa:16:3e:00:00:0{i}", "ip": f"10.0.0.{i}"} for i in (1, 2, 3)]
IP = {vm["name"]: vm["ip"] for vm in VMS}
MAC = {vm["name"]: vm["mac"] for vm in VMS}
SINK_NET, SINK_IP, GRE_KEY = "172.31.254.1/24", "172.31.254.2", 1
PROBE_PORT = 47001
LIMIT = 10.0  # seconds to wait for a first copy, or for copies to stop

# Sends UDP probes vm1 -> vm2 on eth0 every argv[5] seconds until killed.
SENDER = r"""
import socket, struct, sys, time
src, dst, sip, dip, gap = sys.argv[1:6]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    return ~(s + (s >> 16)) & 0xffff
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
ip4 = lambda a: bytes(int(x) for x in a.split("."))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
seq = 0
while True:
    payload = struct.pack("!Q", seq) + bytes(18)
    udp = struct.pack("!HHHH", 47001, 47001, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xffff, 0, 64, 17, 0, ip4(sip), ip4(dip))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    s.send(mac(dst) + mac(src) + b"\x08\x00" + hdr + udp)
    seq += 1
    time.sleep(float(gap))
"""

# Prints time.monotonic_ns() (one clock for every namespace) for each probe received on eth0;
# with argv[1] == "gre", inside GRE (transparent Ethernet bridging) packets.
RECEIVER = r"""
import socket, sys, time
gre = sys.argv[1] == "gre"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
while True:
    f, addr = s.recvfrom(65535)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    if gre:
        if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 47:
            continue
        g = 14 + (f[14] & 0x0f) * 4
        flags = f[g] << 8 | f[g + 1]
        if f[g + 2:g + 4] != b"\x65\x58":
            continue
        f = f[g + 4 + 4 * sum(1 for bit in (0x8000, 0x2000, 0x1000) if flags & bit):]
    if len(f) >= 38 and f[12:14] == b"\x08\x00" and f[23] == 17 and f[36] << 8 | f[37] == 47001:
        sys.stdout.write("%d\n" % time.monotonic_ns())
        sys.stdout.flush()
"""

# Bulk TCP: the server counts bytes until EOF; the client sends for argv[2] seconds and prints Mbit/s.
SERVER = r"""
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5201)); l.listen(1); print("ready", flush=True)
c, _ = l.accept()
while c.recv(1 << 16):
    pass
"""
CLIENT = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], 5201), timeout=10)
buf, sent, t0 = bytes(1 << 16), 0, time.monotonic()
while time.monotonic() - t0 < float(sys.argv[2]):
    sent += c.send(buf)
c.shutdown(socket.SHUT_WR)
print(sent * 8 / (time.monotonic() - t0) / 1e6)
"""


class Copies:
    """A RECEIVER in a namespace: the arrival times of probe copies, read as they come."""

    def __init__(self, namespace: str, mode: str):
        self.proc = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, "-c", RECEIVER, mode],
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def next(self, timeout: float) -> int | None:
        """The next arrival time (ns), or None after ``timeout`` seconds without one."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("a copy receiver exited")
        return int(line)

    def first_after(self, t0: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            t = self.next(left)
            if t is None:
                return None
            if t >= t0:
                return t
        return None

    def wait_quiet(self, quiet: float = 0.2, timeout: float = LIMIT) -> bool:
        """Read until no copy arrived for ``quiet`` seconds; False if copies went on past ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.next(quiet) is not None:
            if time.monotonic() > deadline:
                return False
        return True

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def gre_sink(ovn: OvnChassis, namespace: str) -> None:
    """``namespace`` reachable from the chassis' OVS at SINK_IP: a veth from a netdev bridge
    ``br-mir`` holding SINK_NET in the chassis namespace (OVS tunnels route through it)."""
    node = ovn.chassis.namespace
    veth = f"{namespace}"[:15]
    run("ip", "netns", "add", namespace)
    run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
    run("ip", "link", "set", veth, "netns", node)
    mac = run("ip", "netns", "exec", node, "cat", f"/sys/class/net/{veth}/address").strip()
    ovn.vsctl("add-br", "br-mir", "--", "set", "bridge", "br-mir", "datapath_type=netdev",
              f"other-config:hwaddr={mac}", "--", "add-port", "br-mir", veth)
    ovn.ofctl("add-flow", "br-mir", "actions=NORMAL")
    for argv in (["link", "set", veth, "up"], ["addr", "add", SINK_NET, "dev", "br-mir"], ["link", "set", "br-mir", "up"]):
        run("ip", "-n", node, *argv)
    for argv in (["link", "set", "lo", "up"], ["link", "set", "eth0", "up"], ["addr", "add", f"{SINK_IP}/24", "dev", "eth0"]):
        run("ip", "-n", namespace, *argv)
    run("ip", "netns", "exec", namespace, "ethtool", "-K", "eth0", "tx", "off")
    # OVS resolves the sink's MAC before the first GRE packet can leave.
    run("ip", "netns", "exec", namespace, "ping", "-c1", "-W2", SINK_NET.split("/")[0])


def run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60).stdout


def latency(ovn: OvnChassis, svc: "vtap.Service", trials: int, gap_ms: float, sink_ns: str) -> dict[str, list]:
    """Per method, the first-copy latencies (ms; None for a trial without a copy)."""
    policy = vtap.TapPolicy(sender=vtap.Endpoint(mac=MAC["vm1"]), receiver=vtap.Endpoint(mac=MAC["vm2"]),
                            monitor=vtap.Endpoint(mac=MAC["vm3"]), filter="udp,tp_dst=47001")
    at_vm3, at_sink = Copies(ovn.vm("vm3").namespace, "plain"), Copies(sink_ns, "gre")
    sender = ovn.vm("vm1").popen(sys.executable, "-c", SENDER, MAC["vm1"], MAC["vm2"], IP["vm1"], IP["vm2"],
                                 str(gap_ms / 1000))
    ids = {}

    def start(method):
        if method == "libvtap":
            ids["policy"] = svc.add(policy)
        else:
            ovn.nbctl("lsp-attach-mirror", "vm2", "m0")

    def stop(method):
        if method == "libvtap":
            svc.remove(ids.pop("policy"))
        else:
            ovn.nbctl("lsp-detach-mirror", "vm2", "m0")

    result = {"libvtap": [], "ovn-mirror": []}
    try:
        for trial in range(trials):
            for method in (("libvtap", "ovn-mirror") if trial % 2 == 0 else ("ovn-mirror", "libvtap")):
                copies = at_vm3 if method == "libvtap" else at_sink
                if not copies.wait_quiet():
                    raise RuntimeError(f"{method}: copies did not stop")
                t0 = time.monotonic_ns()
                start(method)
                first = copies.first_after(t0, LIMIT)
                result[method].append(None if first is None else (first - t0) / 1e6)
                stop(method)
                if not copies.wait_quiet():
                    raise RuntimeError(f"{method}: copies went on after the copying was stopped")
    finally:
        sender.kill()
        sender.wait()
        at_vm3.stop()
        at_sink.stop()
    return result


def throughput(ovn: OvnChassis, svc: "vtap.Service", rounds: int, seconds: float) -> dict[str, list[float]]:
    """Per configuration, Mbit/s of a bulk TCP transfer vm1 -> vm2."""
    policy = vtap.TapPolicy(sender=vtap.Endpoint(mac=MAC["vm1"]), receiver=vtap.Endpoint(mac=MAC["vm2"]),
                            monitor=vtap.Endpoint(mac=MAC["vm3"]), filter="tcp")
    result = {"none": [], "libvtap": [], "ovn-mirror": []}
    for r in range(rounds):
        order = list(result) if r % 2 == 0 else list(reversed(result))
        for config in order:
            pid = svc.add(policy) if config == "libvtap" else None
            if config == "ovn-mirror":
                ovn.nbctl("--wait=hv", "lsp-attach-mirror", "vm2", "m0")
            server = ovn.vm("vm2").popen(sys.executable, "-c", SERVER, IP["vm2"], stdout=subprocess.PIPE, text=True)
            try:
                server.stdout.readline()  # "ready"
                out = ovn.vm("vm1").run(sys.executable, "-c", CLIENT, IP["vm2"], str(seconds), timeout=seconds + 30)
                result[config].append(float(out.stdout))
            finally:
                server.kill()
                server.wait()
                if pid is not None:
                    svc.remove(pid)
                if config == "ovn-mirror":
                    ovn.nbctl("--wait=hv", "lsp-detach-mirror", "vm2", "m0")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--gap-ms", type=float, default=0.5)
    args = parser.parse_args()
    sink_ns = f"vom{os.getpid() % 100000}-sink"
    try:
        with OvnChassis(VMS) as ovn:
            gre_sink(ovn, sink_ns)
            ovn.nbctl("mirror-add", "m0", "gre", str(GRE_KEY), "to-lport", SINK_IP)
            topo = ovn.dir / "topology.json"
            topo.write_text(json.dumps(ovn.topology_json()))
            options = vtap.TranslatorOptions(forwarding=vtap.Forwarding.resubmit, resubmit_table=0)
            with vtap.Service(vtap.Topology.load(str(topo)), ovn.targets, options=options) as svc:
                lat = latency(ovn, svc, args.trials, args.gap_ms, sink_ns)
                tput = throughput(ovn, svc, args.rounds, args.seconds)
    finally:
        subprocess.run(["ip", "netns", "del", sink_ns], capture_output=True)

    def pct(values, q):
        seen = sorted(v for v in values if v is not None)
        return seen[min(len(seen) - 1, round(q * (len(seen) - 1)))] if seen else float("nan")

    for method, label in (("libvtap", "Service.add"), ("ovn-mirror", "ovn-nbctl lsp-attach-mirror (GRE at the sink)")):
        v = lat[method]
        print(f"latency {label} -> first copy: p50 {pct(v, 0.5):.2f} ms, p99 {pct(v, 0.99):.2f} ms "
              f"({len(v)} trials, {sum(x is None for x in v)} without a copy in {LIMIT:.0f} s)")
    med = {c: statistics.median(v) for c, v in tput.items()}
    for config, label in (("none", "no copy"), ("libvtap", "libvtap tap to vm3"), ("ovn-mirror", "OVN mirror (GRE)")):
        print(f"dataplane TCP vm1->vm2, {label}: median {med[config]:.0f} Mbit/s ({med[config] / med['none']:.2f}x no copy; "
              f"{', '.join(f'{x:.0f}' for x in tput[config])})")
    print(f"summary ovn_mirror: first copy p50 {pct(lat['libvtap'], 0.5):.2f} ms after Service.add vs "
          f"{pct(lat['ovn-mirror'], 0.5):.2f} ms after lsp-attach-mirror; TCP with a libvtap tap "
          f"{med['libvtap'] / med['none']:.2f}x, with OVN's mirror {med['ovn-mirror'] / med['none']:.2f}x of no copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
