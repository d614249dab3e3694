#!/usr/bin/env python3
"""Policy-to-first-copy latency (issue: Service): on a private user-space Open vSwitch
(netdev bridge, three network namespaces on veth as sender, receiver and monitor), a probe
stream runs from sender to receiver while `Service.add` of a policy copying it to the
monitor is timed to the first copy captured at the monitor; beside it, creating an OVS
`Mirror` with ovs-vsctl to the same port. Prints p50/p99 over --trials for both and the
ratio.

    python3 bench/latency.py [--trials 200] [--build build]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "python"))
from ovs_sandbox import OvsSandbox  # noqa: E402

HOSTS = [("vm1", "fa:16:3e:00:00:01", 1), ("vm2", "fa:16:3e:00:00:02", 2), ("vm3", "fa:16:3e:00:00:03", 3)]


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


LIMIT_MS = 2000.0  # bench_latency waits this long for a copy


def fmt(ms: float) -> str:
    return f"> {LIMIT_MS:.0f} ms" if math.isinf(ms) else f"{ms:.2f} ms"


def ratio_text(ours: float, peer: float) -> str:
    if math.isinf(peer):
        return "n/a" if math.isinf(ours) else f"< {ours / LIMIT_MS:.4f}x"
    return f"{ours / peer:.2f}x"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--build", default=str(ROOT / "build"))
    args = parser.parse_args()
    tag = f"vtl{os.getpid() % 100000}"
    namespaces: list[str] = []
    try:
        with OvsSandbox(dummy="tunnels") as ovs:
            ovs.add_bridge("s1", dpid=1, datapath_type="netdev")
            for name, mac, port in HOSTS:
                ns, veth = f"{tag}-{name}", f"{tag}-{name}"
                sh("ip", "netns", "add", ns)
                namespaces.append(ns)
                sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
                sh("ip", "-n", ns, "link", "set", "eth0", "address", mac)
                sh("ip", "-n", ns, "link", "set", "eth0", "up")
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
                sh("ip", "link", "set", veth, "up")
                ovs.vsctl("add-port", "s1", veth, "--", "set", "interface", veth, f"ofport_request={port}")
                ovs.ofctl("add-flow", "s1", f"priority=10,dl_dst={mac},actions=output:{port}")
            topo = {"switches": [{"name": "s1", "dpid": "0000000000000001"}],
                    "hosts": [{"name": n, "mac": m, "switch": "s1", "port": p} for n, m, p in HOSTS], "links": []}
            (ovs.dir / "topology.json").write_text(json.dumps(topo))
            vsctl = f"ovs-vsctl --db={ovs.db} --timeout=10"
            mirror_add = (f"{vsctl} -- --id=@p get Port {tag}-vm3 -- --id=@m create Mirror name=m select_all=true "
                          f"output_port=@p -- set Bridge s1 mirrors=@m >/dev/null")
            mirror_clear = f"{vsctl} clear Bridge s1 mirrors"
            out = subprocess.run(
                [str(Path(args.build) / "bench" / "bench_latency"), "--topology", str(ovs.dir / "topology.json"),
                 "--switch", f"s1=unix:{ovs.dir}/s1.mgmt", "--sender", f"{tag}-vm1:eth0",
                 "--monitor", f"{tag}-vm3:eth0", "--sender-mac", HOSTS[0][1], "--receiver-mac", HOSTS[1][1],
                 "--monitor-mac", HOSTS[2][1], "--trials", str(args.trials),
                 "--mirror-add", mirror_add, "--mirror-clear", mirror_clear],
                check=True, capture_output=True, text=True, env=ovs.env).stdout
    finally:
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            subprocess.run(["ip", "link", "del", ns], capture_output=True)
    results = {r["method"]: r for r in map(json.loads, out.splitlines())}
    # A trial that saw no copy within the limit counts as infinitely slow, so percentiles stay honest.
    ms = {m: r["ms"] + [math.inf] * r["missed"] for m, r in results.items()}
    for method, label in (("libvtap", "Service.add -> first copy"), ("libvtap-add-call", "Service.add returns"),
                          ("ovs-mirror", "ovs-vsctl Mirror -> first copy")):
        seen = results[method]["ms"]
        print(f"latency {label}: p50 {fmt(percentile(ms[method], 0.5))}, p99 {fmt(percentile(ms[method], 0.99))}, "
              f"mean of those seen {statistics.fmean(seen) if seen else math.nan:.2f} ms over {len(ms[method])} trials "
              f"({results[method]['missed']} saw no copy within {LIMIT_MS:.0f} ms)")
    ours, peer = ms["libvtap"], ms["ovs-mirror"]
    ratio = {q: ratio_text(percentile(ours, q), percentile(peer, q)) for q in (0.5, 0.99)}
    print(f"latency ratio libvtap/ovs-mirror: p50 {ratio[0.5]}, p99 {ratio[0.99]}")
    print(f"summary latency: Service.add -> first copy p50 {fmt(percentile(ours, 0.5))}, "
          f"p99 {fmt(percentile(ours, 0.99))} (target 5 / 20 ms); {ratio[0.5]} the p50 of an ovs-vsctl Mirror "
          f"({results['ovs-mirror']['missed']} of {args.trials} Mirror trials saw no copy within {LIMIT_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
