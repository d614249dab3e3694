#!/usr/bin/env python3
"""Data-plane cost of a TAP (the paper's Fig. 8 scenario, DESIGN §8): on one user-space
compute node (netdev datapath) with Sender, Receiver and Monitor VMs, trafgen floods
fixed-size UDP frames from Sender to Receiver while the RX packet rate is read from the
Receiver's and the Monitor's interface counters, for:

  none     no copy at all,
  libvtap  a policy copying every frame from Sender to Receiver to Monitor (monitor on the
           sender's switch: a plain output bucket), installed with ``vtapctl apply``,
  mirror   an OVS ``Mirror`` selecting the Sender's port, output to the Monitor's port
           (with ``revalidator/purge`` so cached datapath flows pick it up).

Every (mode, size) runs --repeat times, interleaved, and the medians are printed with the
libvtap/mirror ratio of Receiver pps measured in the same run. ``--csv FILE`` writes every
trial. Sizes are Ethernet frame lengths without FCS (1500 means a full 1514-byte frame).

    python3 bench/dataplane.py [--sizes 64,128,256,512,1024,1500] [--seconds 3] [--repeat 3]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "python"))  # the package as built by CMake
from vtap.testbed import Testbed  # noqa: E402

MODES = ("none", "libvtap", "mirror")


def rx_packets(vm) -> int:
    return int(vm.run("cat", "/sys/class/net/eth0/statistics/rx_packets").stdout)


def frame_length(size: int) -> int:
    return 1514 if size == 1500 else max(60, size)


def flood(tb: Testbed, size: int, seconds: float) -> tuple[float, float, float]:
    """Sender -> Receiver at trafgen's full speed; returns (sent, receiver, monitor) pps."""
    s, r, m = tb.vm("sender"), tb.vm("receiver"), tb.vm("monitor")
    payload = frame_length(size) - 42
    packet = (f"{{ eth(da={r.mac}, sa={s.mac}), ipv4(saddr={s.ip}, daddr={r.ip}), udp(sp=9, dp=9), "
              f"fill(0x41, {payload}) }}")
    sent0 = int(s.run("cat", "/sys/class/net/eth0/statistics/tx_packets").stdout)
    r0, m0 = rx_packets(r), rx_packets(m)
    s.run("timeout", "-s", "INT", str(seconds), "trafgen", "--dev", "eth0", "-P", "1", "-q", packet, check=False,
          timeout=seconds + 30)
    sent = int(s.run("cat", "/sys/class/net/eth0/statistics/tx_packets").stdout) - sent0
    return sent / seconds, (rx_packets(r) - r0) / seconds, (rx_packets(m) - m0) / seconds


class Modes:
    """Switches the node between the three modes."""

    def __init__(self, tb: Testbed, vtapctl: Path, work: Path):
        self.tb, self.vtapctl, self.work = tb, vtapctl, work
        self.node = tb.nodes["node1"]
        (work / "topology.json").write_text(json.dumps(tb.topology_json()))
        s, r, m = tb.vm("sender"), tb.vm("receiver"), tb.vm("monitor")
        policy = {"id": 1, "sender": {"mac": s.mac}, "receiver": {"mac": r.mac}, "monitor": {"mac": m.mac}}
        (work / "on.json").write_text(json.dumps({"policies": [policy]}))
        (work / "off.json").write_text(json.dumps({"policies": []}))
        self.ports = {vm: self.node.vsctl("--bare", "--columns=name", "find", "Interface",
                                          f"ofport={tb.vm(vm).port}").strip() for vm in ("sender", "monitor")}

    def _apply(self, policies: str) -> None:
        subprocess.run([str(self.vtapctl), "apply", "--topology", str(self.work / "topology.json"), "--policies",
                        str(self.work / policies), "--switch", f"node1={self.node.target}"], check=True,
                       capture_output=True)

    def set(self, mode: str) -> None:
        self._apply("on.json" if mode == "libvtap" else "off.json")
        self.node.vsctl("clear", "Bridge", "node1", "mirrors")
        if mode == "mirror":
            self.node.vsctl("--", "--id=@s", "get", "Port", self.ports["sender"], "--", "--id=@m", "get", "Port",
                            self.ports["monitor"], "--", "--id=@mir", "create", "Mirror", "name=span",
                            "select_src_port=@s", "output_port=@m", "--", "set", "Bridge", "node1", "mirrors=@mir")
        self.node.appctl("revalidator/purge")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,128,256,512,1024,1500")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--csv", help="write every trial to this CSV file")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    rows = []
    with Testbed({"node1": ["sender", "receiver", "monitor"]}) as tb:
        modes = Modes(tb, Path(args.build) / "vtapctl", Path(tb.nodes["node1"].directory))
        for size in sizes:
            for trial in range(args.repeat):
                for mode in MODES:  # interleaved, so drift of the machine hits every mode alike
                    modes.set(mode)
                    sent, receiver, monitor = flood(tb, size, args.seconds)
                    rows.append({"size": size, "mode": mode, "trial": trial, "sent_pps": sent,
                                 "receiver_pps": receiver, "monitor_pps": monitor})
            med = {m: {k: statistics.median(r[k] for r in rows if r["size"] == size and r["mode"] == m)
                       for k in ("sent_pps", "receiver_pps", "monitor_pps")} for m in MODES}
            ratio = med["libvtap"]["receiver_pps"] / med["mirror"]["receiver_pps"]
            print(f"dataplane size={size}: receiver pps none {med['none']['receiver_pps']:.0f}, "
                  f"libvtap {med['libvtap']['receiver_pps']:.0f} (monitor {med['libvtap']['monitor_pps']:.0f}), "
                  f"mirror {med['mirror']['receiver_pps']:.0f} (monitor {med['mirror']['monitor_pps']:.0f}); "
                  f"libvtap/mirror receiver ratio {ratio:.2f}x (median of {args.repeat})", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
