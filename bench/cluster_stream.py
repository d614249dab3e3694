#!/usr/bin/env python3
"""Scale-out at full size (docs/cluster.md): a three-server Raft VTAP database, --nodes compute
nodes (dummy datapath, each its own ovsdb-server, ovs-vswitchd and ``vtapctl agent``) and two
vtapds (``vtapctl serve --store ovsdb:...``). --changes random creates, modifies and removes go
through both vtapds in turn while the Raft leader is killed (before change 30%) and restarted
(before change 60%), as tests/python/test_cluster.py does at CI size.

Measured: each change's wall time through the API (p50, p99, max; the changes around the
election wait it out), the run's changes per second, and the time until every policy is
settled and acknowledged by every node it touches. Checked: the database holds exactly the
acknowledged policies, and every node's switch holds exactly ``vtapctl compile
--assigned-marks`` of them (loaded by ``ovs-ofctl``). Exits 1 when a check fails.

    python3 bench/cluster_stream.py [--nodes 20] [--changes 200] [--build build] [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--quick", action="store_true", help="4 nodes, 40 changes (the test suite's size)")
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.changes = 4, 40
    sys.path.insert(0, str(Path(args.build) / "python"))
    from vtap.cluster_farm import ClusterFarm, request  # noqa: PLC0415

    latencies: list[float] = []
    with ClusterFarm(Path(args.build) / "vtapctl", nodes=args.nodes) as farm:
        urls = [farm.start_vtapd(), farm.start_vtapd()]
        start = time.monotonic()
        expected = farm.stream(urls, changes=args.changes, kill_at=int(args.changes * 0.3),
                               restart_at=int(args.changes * 0.6), latencies=latencies)
        streamed = time.monotonic() - start
        farm.wait_settled(timeout=120)
        settled = time.monotonic() - start
        rows = farm.cluster.select("Policy")
        db_ok = {row["policy_id"]: json.loads(row["spec"]) for row in rows} == expected
        with tempfile.TemporaryDirectory() as work:
            topology = json.dumps(request(urls[0], "GET", "/v1/topology")[1])
            policies = json.dumps(request(urls[0], "GET", "/v1/policies")[1])
            oracle = farm.compiled(topology, policies, work)
        switches_ok = [i for i in farm.nodes if farm.dump(i) != oracle[i]]
        rules = sum(len(farm.dump(i)[0]) for i in farm.nodes)

    ms = [x * 1000 for x in latencies]
    print(f"{args.nodes} nodes, 3 database servers, 2 vtapds, {args.changes} changes, leader killed and restarted")
    print(f"  change through the API: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
          f"max {max(ms):.0f} ms")
    print(f"  {args.changes / streamed:.1f} changes/s; every node applied {settled - streamed:.2f} s after the last reply")
    print(f"  end: {len(expected)} policies, {rules} libvtap flows on the switches")
    print(f"  database holds exactly the acknowledged policies: {'yes' if db_ok else 'NO'}")
    print(f"  every switch equals vtapctl compile: {'yes' if not switches_ok else 'NO: nodes ' + str(switches_ok)}")
    print(f"summary cluster_stream: {args.nodes} nodes, p50 {statistics.median(ms):.1f} ms, "
          f"p99 {percentile(ms, 0.99):.1f} ms per change with a leader failover; "
          f"{'consistent' if db_ok and not switches_ok else 'INCONSISTENT'}")
    return 0 if db_ok and not switches_ok else 1


if __name__ == "__main__":
    sys.exit(main())
