"""What one Service change costs with many policies installed (issue: a change costs what it
changes, target <= 1 ms of library CPU at 100k policies).

N policies on the translator benchmark's topology (50 switches in a line with chords, 1,000
hosts, 20 monitors) go into a state file; vtap.Service loads them and installs them on 50
bridges of a private ovs-vswitchd (dummy datapath) with one reconciliation. Then single
policies are added and removed through Service.add/remove, each timed as the CPU time of this
process (the library and the bindings; the switch is another process) and as wall time. Peer
in the same run: Translator.add + Translator.plan() of the whole plan, what every change cost
before changes were planned switch by switch.

    python3 bench/service_change.py [--policies 100000] [--changes 50] [--build build]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SWITCHES, HOSTS, MONITORS = 50, 1000, 20
FILTERS = ["", "tcp", "tcp,tp_dst=80", "udp,tp_dst=53", "tcp,tp_dst=443"]


def mac(n: int) -> str:
    return f"fa:16:3e:00:{n >> 8:02x}:{n & 0xff:02x}"


def ip(n: int) -> str:
    return f"10.0.{n >> 8}.{n & 0xff}"


def topology() -> dict:
    port = 1000
    links = []
    for a, b in [(s - 1, s) for s in range(1, SWITCHES)] + [(s, s + 10) for s in range(0, SWITCHES - 10, 10)]:
        links.append({"a": {"switch": f"s{a}", "port": port}, "b": {"switch": f"s{b}", "port": port + 1}})
        port += 2
    return {"switches": [{"name": f"s{s}", "dpid": f"{s + 1:016x}"} for s in range(SWITCHES)],
            "hosts": [{"name": f"vm{h}", "mac": mac(h), "ip": ip(h), "switch": f"s{h % SWITCHES}", "port": h + 1,
                       "tenant": "t1"} for h in range(HOSTS)],
            "links": links}


def policies(count: int, first_id: int, rng: random.Random) -> list[dict]:
    out: list[dict] = []
    while len(out) < count:
        s, r, m = rng.randrange(HOSTS), rng.randrange(HOSTS), rng.randrange(MONITORS) * (HOSTS // MONITORS) + 7
        if len({s, r, m}) < 3:
            continue
        p = {"id": first_id + len(out), "sender": {"mac": mac(s), "ip": ip(s)}, "receiver": {"mac": mac(r), "ip": ip(r)},
             "monitor": {"mac": mac(m)}}
        if f := rng.choice(FILTERS):
            p["filter"] = f
        out.append(p)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", type=int, default=100_000)
    ap.add_argument("--changes", type=int, default=50)
    ap.add_argument("--build", default=str(ROOT / "build"))
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.build) / "python"))
    import vtap  # noqa: PLC0415
    from vtap.sandbox import OvsSandbox  # noqa: PLC0415

    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="vtap-change-") as tmp, OvsSandbox() as ovs:
        work = Path(tmp)
        (work / "topology.json").write_text(json.dumps(topology()))
        (work / "state.json").write_text(json.dumps({"policies": policies(args.policies, 1, rng)}))
        for s in range(SWITCHES):
            ovs.add_bridge(f"s{s}", dpid=s + 1)
        topo = vtap.Topology.load(str(work / "topology.json"))
        targets = {f"s{s}": ovs.mgmt(f"s{s}") for s in range(SWITCHES)}
        started = time.perf_counter()
        with vtap.Service(topo, targets, state_file=str(work / "state.json"), request_timeout=600) as svc:
            svc.reconcile()
            install_s = time.perf_counter() - started
            extra = vtap.policies_from_json(json.dumps({"policies": policies(args.changes, 10_000_000, rng)}))
            cpu, wall = [], []
            for p in extra:
                for op in (lambda: svc.add(p), lambda: svc.remove(p.id)):
                    c0, w0 = time.process_time(), time.perf_counter()
                    op()
                    cpu.append(time.process_time() - c0)
                    wall.append(time.perf_counter() - w0)
            # Peer: what a change used to cost, the whole plan after one incremental add.
            translator = vtap.Translator(topo)
            for p in vtap.load_policies(str(work / "state.json")):
                translator.add(p)
            peer = []
            for p in extra[:10]:
                c0 = time.process_time()
                translator.add(p)
                translator.plan()
                peer.append(time.process_time() - c0)
                translator.remove(p.id)
        cpu_ms, wall_ms, peer_ms = (statistics.median(x) * 1e3 for x in (cpu, wall, peer))
        print(json.dumps({"policies": args.policies, "changes": len(cpu), "install_s": round(install_s, 1),
                          "change_cpu_ms_p50": round(cpu_ms, 3), "change_cpu_ms_p99": round(sorted(cpu)[int(len(cpu) * .99)] * 1e3, 3),
                          "change_wall_ms_p50": round(wall_ms, 3), "whole_plan_peer_ms_p50": round(peer_ms, 1)}))
        print(f"summary service-change: {args.policies} policies, one add/remove costs {cpu_ms:.2f} ms CPU "
              f"(p50; target <= 1 ms), {wall_ms:.2f} ms wall; re-planning everything costs {peer_ms:.0f} ms "
              f"({peer_ms / cpu_ms:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
