#!/usr/bin/env python3
"""Install benchmark (issues: native transport, libopenvswitch transport): N policies' flows
and groups into a fresh netdev bridge, timed to the barrier reply, through each transport of
bench_install (native, and openvswitch when built with libopenvswitch), beside `ovs-ofctl
-O OpenFlow15 --bundle add-groups` + `add-flows` of the same plan text, in the same run.
Prints one line per N with medians over --repeat runs and each transport's ratio to
ovs-ofctl, plus its CPU time as a fraction of ovs-vswitchd's during its install.

    python3 bench/install.py [--sizes 1000,10000,100000] [--repeat 5] [--build build]
                             [--transports native,openvswitch]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vtap.sandbox import OvsSandbox

ROOT = Path(__file__).resolve().parent.parent


def write_inputs(workdir: Path, n: int) -> None:
    """One switch; senders, receivers and monitors drawn from enough hosts for n pairs."""
    count = 200
    while count * (count - 3) < n:
        count += 100
    hosts = [{"name": f"vm{i}", "mac": f"fa:16:3e:00:{i >> 8:02x}:{i & 0xff:02x}",
              "ip": f"10.0.{i >> 8}.{i & 0xff}", "switch": "s1", "port": i + 1} for i in range(count)]
    topo = {"switches": [{"name": "s1", "dpid": "0000000000000001"}], "hosts": hosts, "links": []}
    policies, k = [], 0
    filters = ["tcp,tp_dst=80", "udp,tp_dst=53", "tcp,tp_dst=443", "ip"]
    for s in range(count):
        for r in range(count):
            if len(policies) == n:
                break
            if s == r:
                continue
            m = (s + r) % count
            if m in (s, r):
                continue
            k += 1
            policies.append({"id": k, "sender": {"mac": hosts[s]["mac"]}, "receiver": {"mac": hosts[r]["mac"]},
                             "monitor": {"mac": hosts[m]["mac"]}, "filter": filters[k % len(filters)]})
    (workdir / "topology.json").write_text(json.dumps(topo))
    (workdir / "policies.json").write_text(json.dumps({"policies": policies}))


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_bridge(ovs: OvsSandbox) -> None:
    ovs.vsctl("--if-exists", "del-br", "s1")
    ovs.add_bridge("s1", dpid=1, datapath_type="netdev")


def cpu_ratio(shares: list[float]) -> str:
    """Median of the measurable shares: a switch busy for less than a clock tick has none."""
    finite = [x for x in shares if x == x]
    return f"{statistics.median(finite):.2f}x" if finite else "n/a (switch CPU under a clock tick)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--transports", default="native,openvswitch",
                        help="bench_install transports to time; ones this build lacks are skipped")
    args = parser.parse_args()
    sys.path[:0] = [str(Path(args.build) / "python")]  # vtap as built by CMake into --build
    from vtap.sandbox import OvsSandbox
    vtapctl = Path(args.build) / "vtapctl"
    bench = Path(args.build) / "bench" / "bench_install"
    with OvsSandbox() as ovs:
        vswitchd = ovs.pids["ovs-vswitchd"]
        for n in (int(x) for x in args.sizes.split(",")):
            work = ovs.dir / f"n{n}"
            work.mkdir()
            write_inputs(work, n)
            subprocess.run([str(vtapctl), "compile", "--topology", str(work / "topology.json"), "--policies",
                            str(work / "policies.json"), "--out", str(work / "out")], check=True, capture_output=True)
            transports = args.transports.split(",")
            ofctl_times, times, cpu_share, counts = [], {t: [] for t in transports}, {t: [] for t in transports}, None
            for _ in range(args.repeat):
                fresh_bridge(ovs)
                start = time.perf_counter()
                ovs.ofctl("-O", "OpenFlow15", "--bundle", "add-groups", "s1", str(work / "out" / "s1.groups"))
                ovs.ofctl("-O", "OpenFlow15", "--bundle", "add-flows", "s1", str(work / "out" / "s1.flows"))
                ofctl_times.append(time.perf_counter() - start)
                for transport in list(transports):
                    fresh_bridge(ovs)
                    before = cpu_of(vswitchd)
                    run = subprocess.run([str(bench), "--target", ovs.mgmt("s1"), "--topology",
                                          str(work / "topology.json"), "--policies", str(work / "policies.json"),
                                          "--transport", transport], capture_output=True, text=True)
                    if run.returncode == 3:  # Not in this build.
                        print(f"note: {run.stderr.strip()}", file=sys.stderr)
                        transports.remove(transport)
                        continue
                    if run.returncode != 0:
                        raise RuntimeError(f"bench_install --transport {transport}: {run.stderr.strip()}")
                    result = json.loads(run.stdout)
                    switch_cpu = cpu_of(vswitchd) - before
                    times[transport].append(result["wall_s"])
                    cpu_share[transport].append(result["cpu_s"] / switch_cpu if switch_cpu > 0 else float("nan"))
                    counts = (result["flows"], result["groups"])
            peer = statistics.median(ofctl_times)
            names = {"native": "libvtap native", "openvswitch": "libvtap over libopenvswitch"}
            columns = [f"{names.get(t, t)} {statistics.median(times[t]):.3f} s "
                       f"(ratio {statistics.median(times[t]) / peer:.2f}x, "
                       f"CPU {cpu_ratio(cpu_share[t])} of ovs-vswitchd's)" for t in transports]
            print(f"install n={n} ({counts[0]} flows, {counts[1]} groups): ovs-ofctl --bundle {peer:.3f} s; "
                  + "; ".join(columns) + f" (medians of {args.repeat})", flush=True)
            last = (n, {t: statistics.median(times[t]) / peer for t in transports})
    n, ratios = last
    print(f"summary install (n={n}): " + ", ".join(f"{t} {r:.2f}x" for t, r in ratios.items())
          + " the time of ovs-ofctl --bundle (target: native <= 0.8x, libopenvswitch <= 1.0x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
