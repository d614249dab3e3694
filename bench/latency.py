#!/usr/bin/env python3
"""Policy-to-first-copy latency (issue: Service): on a private user-space Open vSwitch
(netdev bridge, three network namespaces on veth as sender, receiver and monitor), a probe
stream runs from sender to receiver while `Service.add` of a policy copying it to the
monitor is timed to the first copy captured at the monitor. Beside it, interleaved, two
peers: `ovs-ofctl bundle` installing the same group and flow (the plan `vtapctl compile`
writes for the policy), and `ovs-vsctl` creating an OVS `Mirror` to the monitor's port.
Prints p50/p99 over --trials for each and the ratios.

    python3 bench/latency.py [--trials 200] [--build build]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "build" / "python")]  # vtap as built by CMake
from vtap.sandbox import OvsSandbox  # noqa: E402

HOSTS = [("vm1", "fa:16:3e:00:00:01", 1), ("vm2", "fa:16:3e:00:00:02", 2), ("vm3", "fa:16:3e:00:00:03", 3)]


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def fmt(ms: float, limit_ms: float) -> str:
    """``ms``, or "> limit" for a trial that saw no copy (inf)."""
    return f"> {limit_ms:.0f} ms" if math.isinf(ms) else f"{ms:.2f} ms"


def ratio_text(ours: float, peer: float, limit_ms: float) -> str:
    if math.isinf(peer):
        return "n/a" if math.isinf(ours) else f"< {ours / limit_ms:.4f}x"
    return f"{ours / peer:.2f}x"


def ofctl_bundles(plan: Path) -> tuple[str, str]:
    """Bundle files for ``ovs-ofctl bundle`` that add and delete a compiled plan's groups and flows."""
    groups = (plan / "s1.groups").read_text().splitlines()
    flows = [re.sub(r"cookie=[^,]*,", "", f) for f in (plan / "s1.flows").read_text().splitlines()]
    add = [f"group add {g}" for g in groups] + [f"flow add {f}" for f in flows]
    delete = [f"flow delete_strict {f.split(',actions=')[0]}" for f in flows] + \
        [f"group delete {g.split(',')[0]}" for g in groups]
    return "\n".join(add) + "\n", "\n".join(delete) + "\n"


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
            policy = {"sender": {"mac": HOSTS[0][1]}, "receiver": {"mac": HOSTS[1][1]},
                      "monitor": {"mac": HOSTS[2][1]}, "filter": "udp"}
            (ovs.dir / "policies.json").write_text(json.dumps({"policies": [policy]}))
            sh(str(Path(args.build) / "vtapctl"), "compile", "--topology", str(ovs.dir / "topology.json"),
               "--policies", str(ovs.dir / "policies.json"), "--out", str(ovs.dir / "plan"))
            for name, text in zip(("add", "delete"), ofctl_bundles(ovs.dir / "plan")):
                (ovs.dir / f"{name}.bundle").write_text(text)
            ofctl = f"ovs-ofctl -O OpenFlow15 bundle {ovs.mgmt('s1')}"
            vsctl = f"ovs-vsctl --db={ovs.db} --timeout=10"
            mirror_add = (f"{vsctl} -- --id=@p get Port {tag}-vm3 -- --id=@m create Mirror name=m select_all=true "
                          f"output_port=@p -- set Bridge s1 mirrors=@m >/dev/null")
            # Removing a Mirror does not reach cached datapath flows either: purge them, so that
            # the copies stop before the next trial.
            purge = f"ovs-appctl --target={ovs.ctl()} revalidator/purge"
            mirror_clear = f"{vsctl} clear Bridge s1 mirrors && {purge} >/dev/null"
            done = subprocess.run(
                [str(Path(args.build) / "bench" / "bench_latency"), "--topology", str(ovs.dir / "topology.json"),
                 "--switch", f"s1={ovs.mgmt('s1')}", "--sender", f"{tag}-vm1:eth0",
                 "--monitor", f"{tag}-vm3:eth0", "--sender-mac", HOSTS[0][1], "--receiver-mac", HOSTS[1][1],
                 "--monitor-mac", HOSTS[2][1], "--trials", str(args.trials),
                 "--peer", "ovs-ofctl", f"{ofctl} {ovs.dir}/add.bundle", f"{ofctl} {ovs.dir}/delete.bundle",
                 "--peer", "ovs-mirror", mirror_add, mirror_clear],
                capture_output=True, text=True, env=ovs.env)
            if done.returncode != 0:
                sys.exit(done.stderr.strip() or f"bench_latency failed (exit {done.returncode})")
            out = done.stdout
    finally:
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            subprocess.run(["ip", "link", "del", ns], capture_output=True)
    results = {r["method"]: r for r in map(json.loads, out.splitlines())}
    limit = results["libvtap"]["limit_ms"]  # how long bench_latency waits for a copy
    # A trial that saw no copy within the limit counts as infinitely slow, so percentiles stay honest.
    ms = {m: r["ms"] + [math.inf] * r["missed"] for m, r in results.items()}
    settle = {m: r["settle_ms"] + [math.inf] * r["missed"] for m, r in results.items()}
    p50, p99 = ({m: percentile(v, q) for m, v in ms.items()} for q in (0.5, 0.99))
    settle50 = {m: percentile(v, 0.5) for m, v in settle.items()}
    for method, label in (("libvtap", "Service.add"), ("ovs-ofctl", "ovs-ofctl bundle of the same rules"),
                          ("ovs-mirror", "ovs-vsctl creating a Mirror")):
        print(f"latency {label} -> first copy: p50 {fmt(p50[method], limit)}, p99 {fmt(p99[method], limit)}; "
              f"after it returned: p50 {fmt(settle50[method], limit)} ({len(ms[method])} trials, "
              f"{results[method]['missed']} saw no copy within {limit:.0f} ms)")
    ratio = {peer: {"p50": ratio_text(p50["libvtap"], p50[peer], limit),
                    "p99": ratio_text(p99["libvtap"], p99[peer], limit)} for peer in ("ovs-ofctl", "ovs-mirror")}
    for peer, r in ratio.items():
        print(f"latency ratio libvtap/{peer}: p50 {r['p50']}, p99 {r['p99']}")
    print(f"summary latency: Service.add -> first copy p50 {fmt(p50['libvtap'], limit)}, "
          f"p99 {fmt(p99['libvtap'], limit)} (target 5 / 20 ms); {ratio['ovs-ofctl']['p50']} the p50 of ovs-ofctl "
          f"bundle installing the same rules (after the call returned: {fmt(settle50['libvtap'], limit)} vs "
          f"{fmt(settle50['ovs-ofctl'], limit)}), {ratio['ovs-mirror']['p50']} that of an ovs-vsctl Mirror "
          f"({results['ovs-mirror']['missed']} of {args.trials} saw no copy within {limit:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
