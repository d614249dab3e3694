#!/usr/bin/env python3
"""Data-plane cost of a TAP (the paper's Fig. 8 scenario, docs/design.md §10): receiver and monitor
pps with no TAP, a libvtap policy and an equivalent OVS Mirror (experiments.throughput),
printing per size the medians over --repeat interleaved trials and the libvtap/mirror
ratio of Receiver pps measured in the same run. ``--csv FILE`` writes every trial.

    python3 bench/dataplane.py [--sizes 64,128,256,512,1024,1500] [--seconds 3] [--repeat 3]
                               [--senders 1] [--port-type system|afxdp] [--pmds N]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "build" / "python"), str(ROOT / "bench")]  # vtap as built by CMake
from experiments import throughput  # noqa: E402
from experiments.datapath import PORT_TYPES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,128,256,512,1024,1500")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--port-type", choices=PORT_TYPES, default="system")
    parser.add_argument("--pmds", type=int, help="PMD threads (afxdp ports); default: OVS's")
    parser.add_argument("--csv", help="write every trial to this CSV file")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    trials = throughput.run(sizes, pmds=[args.pmds], port_type=args.port_type, senders=args.senders,
                            seconds=args.seconds, repeat=args.repeat)
    med = throughput.medians(trials)
    for size in sizes:
        m = {mode: med[(args.pmds, size, mode)] for mode in throughput.MODES}
        ratio = m["libvtap"]["receiver_pps"] / m["mirror"]["receiver_pps"]
        print(f"dataplane size={size}: receiver pps none {m['none']['receiver_pps']:.0f}, "
              f"libvtap {m['libvtap']['receiver_pps']:.0f} (monitor {m['libvtap']['monitor_pps']:.0f}), "
              f"mirror {m['mirror']['receiver_pps']:.0f} (monitor {m['mirror']['monitor_pps']:.0f}); "
              f"libvtap/mirror receiver ratio {ratio:.2f}x (median of {args.repeat})", flush=True)
    ratios = sorted(med[(args.pmds, s, "libvtap")]["receiver_pps"] / med[(args.pmds, s, "mirror")]["receiver_pps"]
                    for s in sizes)
    print(f"summary dataplane: libvtap/Mirror receiver pps median {statistics.median(ratios):.2f}x over {len(sizes)} "
          f"sizes (range {ratios[0]:.2f}x ... {ratios[-1]:.2f}x; target >= 1.00x)")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(trials[0].row()))
            w.writeheader()
            w.writerows(t.row() for t in trials)
    return 0


if __name__ == "__main__":
    sys.exit(main())
