#!/usr/bin/env python3
"""Scale-out against the central vtapd (docs/cluster.md): the time from an API write until
every node the change touches has applied it, for N compute nodes on this one machine.

For each N of --nodes a :class:`vtap.cluster_farm.ClusterFarm` runs (a three-member Raft VTAP
database, N nodes each with its own ``ovsdb-server`` + ``ovs-vswitchd`` on the dummy datapath,
bridge ``br-int`` with three VM ports and a full mesh of vxlan ports, one ``vtapctl agent``
per node). Each round then does, on the same switches:

cluster  one ``vtapctl serve --store ovsdb:...``; --changes requests on one kept-alive
         HTTP/1.1 connection, alternately ``POST /v1/policies?wait=applied`` (sender, receiver
         and monitor VMs on distinct random nodes a, b, c when N >= 3; seeded) and
         ``DELETE /v1/policies/ID?wait=applied`` of that policy (so 0 or 1 policies exist):
         each returns once every node the change touches acknowledged its prepare and its
         commit step;
central  the peer: the agents and the cluster's vtapd are stopped (the switches hold nothing
         of libvtap's then, which is checked), one classic ``vtapctl serve --topology T.json``
         (T = the cluster's ``GET /v1/topology``) programs all N switches over OpenFlow, and
         the same requests go as plain ``POST /v1/policies`` / ``DELETE`` (which return once
         the switches hold the change). The agents and a new cluster vtapd are started
         again for the next round.

Measured is each request's wall time at the client; creates and removes are pooled for the
p50/p99 of the first table (and shown apart in the second); samples are pooled over rounds.
Each size stops by itself: a phase ends after --changes requests or when its share of
--budget seconds is spent (always after a removal), so the counts of requests measured are
printed. Also printed: the peak RSS (VmHWM) of the largest agent, of the cluster's vtapd and of
the central vtapd; the agents' CPU while idle (before the first change) and while the changes
run (in cores: CPU seconds per wall second, of os.cpu_count()), and their total CPU time. A
size whose processes would not fit in memory is skipped, and one whose idle agents already
use most of the CPUs is marked as saturated: on such a machine its latencies measure the
machine, not the design.

Prints the tables, one JSON line and one ``summary`` line.

    python3 bench/cluster.py [--nodes 1,5,10,20,50] [--changes 100] [--rounds 1] [--budget 300]
                             [--seed 1] [--build build] [--quick]
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VMS = 3                  # VM ports per node: sender, receiver and monitor are distinct VMs even on one node
FILTERS = [None, "tcp,tp_dst=80", "udp", "icmp"]
REQUEST_TIMEOUT = 90     # s; vtapd answers 503 after 30 s of ?wait=applied
IDLE_S = 3.0             # s the idle agents' CPU is measured over
MB_PER_NODE = 100        # generous: ovs-vswitchd ~20 MB, ovsdb-server ~10 MB, agent ~10-40 MB
OWNED = "cookie=0x7674000000000000/0xffff000000000000"
TICK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------ processes

def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    """VmHWM of ``pid`` in MB (0 once it is gone)."""
    try:
        found = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return 0.0
    return int(found.group(1)) / 1024 if found else 0.0


def mem_available_mb() -> float:
    found = re.search(r"^MemAvailable:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return int(found.group(1)) / 1024 if found else math.inf


class Api:
    """One kept-alive HTTP/1.1 connection to a vtapd as the farm's administrator."""

    def __init__(self, url: str, token: str):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        reply = self.conn.getresponse()
        return reply.status, reply.read()

    def close(self) -> None:
        self.conn.close()


def start_central(vtapctl: Path, farm, topology: Path):
    """The classic vtapd programming every node's ``br-int`` itself (a vtap.sandbox.LoggedProcess)
    and its API's URL."""
    from vtap.sandbox import LoggedProcess  # noqa: PLC0415  (vtap is imported where it is needed)
    switches = [a for i, node in farm.nodes.items()
                for a in ("--switch", f"{farm.switch_name(i)}={node.mgmt('br-int')}")]
    central = LoggedProcess([vtapctl, "serve", "--topology", topology, "--state", farm.dir / "central-state.json",
                             *switches, "--listen", "127.0.0.1:0", "--tokens", farm.tokens], farm.dir / "central.log")
    try:
        return central, central.wait_for(r"API on (http://\S+)", 120).group(1)
    except BaseException:
        central.stop()
        raise


# ------------------------------------------------------------------------ the changes

def changes(n_nodes: int, count: int, seed: int) -> list[dict]:
    """``count`` // 2 policies (each created, then removed): sender, receiver and monitor on
    distinct nodes where there are enough, always distinct VMs."""
    from vtap.cluster_farm import vm_mac  # noqa: PLC0415
    rng = random.Random(seed * 1000 + n_nodes)
    out = []
    for _ in range((count + 1) // 2):
        nodes = rng.sample(range(1, n_nodes + 1), 3) if n_nodes >= 3 else \
            [*rng.sample(range(1, n_nodes + 1), n_nodes), *(rng.randint(1, n_nodes) for _ in range(3 - n_nodes))]
        vms = rng.sample(range(1, VMS + 1), 3)
        p: dict[str, Any] = {"sender": {"mac": vm_mac(nodes[0], vms[0])}, "receiver": {"mac": vm_mac(nodes[1], vms[1])},
                             "monitor": {"mac": vm_mac(nodes[2], vms[2])}}
        if f := rng.choice(FILTERS):
            p["filter"] = f
        out.append(p)
    return out


def timed(api: Api, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
    """One request: its status, body and wall time in ms."""
    t0 = time.perf_counter()
    status, reply = api.call(method, path, body)
    return status, reply, (time.perf_counter() - t0) * 1e3


def run_changes(api: Api, policies: list[dict], count: int, query: str, deadline: float, out: dict) -> None:
    """Up to ``count`` requests, create and remove alternately, until ``deadline`` (checked
    before each create); each request's wall time into ``out["create"|"remove"]`` (ms),
    failures (status and message) into ``out["failed"]``."""
    done = 0
    for policy in policies:
        if done >= count or time.monotonic() > deadline:
            break
        status, body, ms = timed(api, "POST", f"/v1/policies{query}", policy)
        done += 1
        if status != 201:
            out["failed"].append(f"POST {status} {body[:200]!r}")
            continue
        out["create"].append(ms)
        if done >= count:  # an odd count: remove it unmeasured
            api.call("DELETE", f"/v1/policies/{json.loads(body)['id']}{query}")
            break
        status, body, ms = timed(api, "DELETE", f"/v1/policies/{json.loads(body)['id']}{query}")
        done += 1
        if status != 204:
            out["failed"].append(f"DELETE {status} {body[:200]!r}")
            continue
        out["remove"].append(ms)


def owned_left(farm) -> int:
    """libvtap's flows and groups on all the switches together."""
    left = 0
    for node in farm.nodes.values():
        left += len(node.ofctl("-O", "OpenFlow15", "--no-stats", "dump-flows", "br-int", OWNED).splitlines())
        groups = re.findall(r"group_id=(\d+)", node.ofctl("-O", "OpenFlow15", "dump-groups", "br-int"))
        left += sum(int(g) >= 0xe0000000 for g in groups)
    return left


def wait_topology(url: str, token: str, n_nodes: int, timeout: float = 120) -> bytes:
    """The cluster's global topology, once all ``n_nodes`` switches and their VMs are in it."""
    api = Api(url, token)
    deadline = time.monotonic() + timeout
    try:
        while True:
            status, body = api.call("GET", "/v1/topology")
            if status == 200:
                topo = json.loads(body)
                if len(topo.get("switches", [])) == n_nodes and len(topo.get("hosts", [])) == n_nodes * VMS:
                    return body
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster's topology lacks nodes after {timeout} s: {status} {body[:300]!r}")
            time.sleep(0.2)
    finally:
        api.close()


# ------------------------------------------------------------------------ one size

def measure_size(vtapctl: Path, n: int, args, notes: list[str]) -> dict:
    from vtap.cluster_farm import ADMIN, ClusterFarm  # noqa: PLC0415
    result: dict = {"nodes": n, "load1": round(os.getloadavg()[0], 2),
                    **{m: {"create": [], "remove": [], "failed": []} for m in ("cluster", "central")}}
    policies = changes(n, args.changes, args.seed)
    phase_s = args.budget / (2 * args.rounds)
    agent_cpu_total = 0.0
    idle, busy, db_busy, hwm_agent, hwm_vtapd, hwm_central = [], [], [], 0.0, 0.0, 0.0
    t0 = time.monotonic()
    with ClusterFarm(vtapctl, nodes=n, vms=VMS) as farm:
        result["start_s"] = round(time.monotonic() - t0, 1)
        central = None
        try:
            for r in range(args.rounds):
                # ---- cluster: (again) agents and a vtapd
                if r > 0:
                    offsets = {i: farm.restart_agent(i) for i in farm.nodes}
                    for i, off in offsets.items():
                        farm.agents[i].wait_for(r"published node|applied generation", timeout=120, after=off)
                url = farm.start_vtapd()
                topology = wait_topology(url, ADMIN, n)
                agents = {i: p.proc.pid for i, p in farm.agents.items()}
                members = list(farm.cluster.pids.values())
                a = sum(cpu_seconds(p) for p in agents.values())
                time.sleep(IDLE_S)
                idle.append((sum(cpu_seconds(p) for p in agents.values()) - a) / IDLE_S)
                api = Api(url, ADMIN)
                a, d, w = sum(cpu_seconds(p) for p in agents.values()), sum(map(cpu_seconds, members)), time.monotonic()
                run_changes(api, policies, args.changes, "?wait=applied", time.monotonic() + phase_s, result["cluster"])
                elapsed = time.monotonic() - w
                busy.append((sum(cpu_seconds(p) for p in agents.values()) - a) / elapsed)
                db_busy.append((sum(map(cpu_seconds, members)) - d) / elapsed)
                status, body = api.call("GET", "/v1/policies")
                api.close()
                if status != 200 or json.loads(body)["policies"]:
                    raise RuntimeError(f"policies left in the cluster: {status} {body[:300]!r}")
                vtapd = farm.vtapds[-1]
                hwm_vtapd = max(hwm_vtapd, peak_rss_mb(vtapd.proc.pid))
                hwm_agent = max(hwm_agent, *(peak_rss_mb(p) for p in agents.values()))
                agent_cpu_total += sum(map(cpu_seconds, agents.values()))  # each round's agents are new processes
                # ---- central: nothing of the cluster's left running that touches a switch
                vtapd.stop()
                for p in farm.agents.values():
                    p.stop()
                if left := owned_left(farm):
                    notes.append(f"N={n} round {r + 1}: {left} libvtap rules left by the agents (the central vtapd "
                                 f"removes them on start)")
                (farm.dir / "central-state.json").unlink(missing_ok=True)
                (farm.dir / "topology.json").write_bytes(topology)
                central, curl = start_central(vtapctl, farm, farm.dir / "topology.json")
                api = Api(curl, ADMIN)
                run_changes(api, policies, args.changes, "", time.monotonic() + phase_s, result["central"])
                status, body = api.call("GET", "/v1/policies")
                api.close()
                if status != 200 or json.loads(body)["policies"]:
                    raise RuntimeError(f"policies left in the central vtapd: {status} {body[:300]!r}")
                hwm_central = max(hwm_central, peak_rss_mb(central.proc.pid))
                if not central.running():
                    raise RuntimeError("the central vtapd exited during the run")
                central.stop()
                central = None
                if left := owned_left(farm):
                    notes.append(f"N={n} round {r + 1}: {left} libvtap rules left by the central vtapd")
        finally:
            if central is not None:
                central.stop()
        t1 = time.monotonic()
    result.update(stop_s=round(time.monotonic() - t1, 1), agent_hwm_mb=round(hwm_agent, 1),
                  vtapd_hwm_mb=round(hwm_vtapd, 1), central_hwm_mb=round(hwm_central, 1),
                  agents_idle_cores=round(median(idle), 3), agents_busy_cores=round(median(busy), 3),
                  db_busy_cores=round(median(db_busy), 3), agents_cpu_s=round(agent_cpu_total, 1),
                  wall_s=round(time.monotonic() - t0, 1))
    cpus = os.cpu_count() or 1
    if result["agents_idle_cores"] > 0.5 * cpus:
        notes.append(f"N={n} saturated: the idle agents alone use {result['agents_idle_cores']:.2f} of {cpus} "
                     f"CPUs; its latencies measure this machine's CPU, not the protocol")
    for m in ("cluster", "central"):
        if result[m]["failed"]:
            notes.append(f"N={n} {m}: {len(result[m]['failed'])} failed request(s), e.g. {result[m]['failed'][0]}")
        if len(result[m]["create"]) + len(result[m]["remove"]) + len(result[m]["failed"]) < args.changes * args.rounds:
            measured = len(result[m]["create"]) + len(result[m]["remove"])
            notes.append(f"N={n} {m}: the budget ended the phase after {measured} of "
                         f"{args.changes * args.rounds} requests")
    return result


# ------------------------------------------------------------------------ figures

def median(values: list[float]) -> float:
    return percentile(values, 0.5) if values else math.nan


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def finite(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 2)


def ms(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.1f}"


def ratio(a: float, b: float) -> str:
    return "n/a" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}x"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="1,5,10,20,50", help="comma-separated node counts")
    ap.add_argument("--changes", type=int, default=100,
                    help="requests per size, mode and round (create and remove alternately)")
    ap.add_argument("--rounds", type=int, default=1, help="rounds per size (samples are pooled)")
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds of requests per size, all rounds and both modes together (a phase ends early)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--quick", action="store_true", help="CI scale: nodes 1,3, 10 changes, 1 round, 60 s budget")
    args = ap.parse_args()
    if args.quick:
        args.nodes, args.changes, args.rounds, args.budget = "1,3", 10, 1, 60.0
    sizes = [int(x) for x in args.nodes.split(",") if x.strip()]
    build = Path(args.build).resolve()
    sys.path.insert(0, str(build / "python"))
    from vtap.sandbox import interrupt_on_sigterm, ovs_installed  # noqa: PLC0415
    if not ovs_installed():
        sys.exit("Open vSwitch (ovsdb-server, ovs-vswitchd) is not installed")
    interrupt_on_sigterm()  # a SIGTERM stops the farm like Ctrl-C

    began = time.monotonic()
    results, notes = [], []
    for n in sizes:
        need = n * MB_PER_NODE + 500
        if (have := mem_available_mb()) < need:
            notes.append(f"N={n} skipped: {have:.0f} MB available, ~{need} MB needed")
            continue
        print(f"# N={n} ...", file=sys.stderr, flush=True)
        results.append(measure_size(build / "vtapctl", n, args, notes))
    total_s = time.monotonic() - began
    if not results:
        sys.exit("no size could be measured: " + "; ".join(notes))

    def pooled(r: dict, m: str) -> list[float]:
        return r[m]["create"] + r[m]["remove"]

    print(f"cluster: API write -> every node applied, wall time per request in ms (creates and removes pooled, "
          f"{args.rounds} round(s), seed {args.seed}); cluster = POST/DELETE ?wait=applied through "
          f"serve --store ovsdb + one agent per node, central = one vtapd programming every switch")
    print(f"{'nodes':>5} {'n cl/ce':>9} {'cluster p50':>12} {'p99':>8} {'central p50':>12} {'p99':>8} "
          f"{'ratio p50':>10} {'p99':>8}")
    for r in results:
        c, k = pooled(r, "cluster"), pooled(r, "central")
        print(f"{r['nodes']:>5} {f'{len(c)}/{len(k)}':>9} {ms(percentile(c, .5)):>12} {ms(percentile(c, .99)):>8} "
              f"{ms(percentile(k, .5)):>12} {ms(percentile(k, .99)):>8} "
              f"{ratio(percentile(c, .5), percentile(k, .5)):>10} {ratio(percentile(c, .99), percentile(k, .99)):>8}")
    print(f"{'nodes':>5} {'cluster create p50':>19} {'remove p50':>11} {'central create p50':>19} {'remove p50':>11}")
    for r in results:
        print(f"{r['nodes']:>5} {ms(median(r['cluster']['create'])):>19} {ms(median(r['cluster']['remove'])):>11} "
              f"{ms(median(r['central']['create'])):>19} {ms(median(r['central']['remove'])):>11}")
    print(f"{'nodes':>5} {'agent HWM MB':>13} {'vtapd HWM':>10} {'central HWM':>12} {'agents idle':>12} "
          f"{'busy':>6} {'agents CPU s':>13} {'raft busy':>10} {'farm start s':>13} {'load1':>6}")
    for r in results:
        print(f"{r['nodes']:>5} {r['agent_hwm_mb']:>13.1f} {r['vtapd_hwm_mb']:>10.1f} {r['central_hwm_mb']:>12.1f} "
              f"{r['agents_idle_cores']:>12.3f} {r['agents_busy_cores']:>6.3f} {r['agents_cpu_s']:>13.1f} "
              f"{r['db_busy_cores']:>10.3f} {r['start_s']:>13.1f} {r['load1']:>6.2f}")
    print(f"(agent HWM: the largest agent's VmHWM; idle/busy: all agents' CPU in cores of {os.cpu_count()} before "
          f"the first change / while the changes ran; agents CPU s: all agents' CPU time from start to the end "
          f"of the cluster phases; raft busy: the 3 database members while the changes ran)")
    for note in notes:
        print(f"note: {note}")
    print(f"total {total_s:.0f} s")
    print(json.dumps({"changes": args.changes, "rounds": args.rounds, "budget_s": args.budget, "seed": args.seed,
                      "total_s": round(total_s, 1), "notes": notes,
                      "sizes": [{**{k: v for k, v in r.items() if k not in ("cluster", "central")},
                                 **{m: {"p50": finite(percentile(pooled(r, m), .5)),
                                        "p99": finite(percentile(pooled(r, m), .99)),
                                        "create_ms": [round(x, 2) for x in r[m]["create"]],
                                        "remove_ms": [round(x, 2) for x in r[m]["remove"]],
                                        "failed": r[m]["failed"]} for m in ("cluster", "central")}}
                                for r in results]}))
    big = results[-1]
    c, k = pooled(big, "cluster"), pooled(big, "central")
    print(f"summary cluster: write -> every node applied at {big['nodes']} nodes p50 {ms(percentile(c, .5))} ms, "
          f"p99 {ms(percentile(c, .99))} ms = {ratio(percentile(c, .5), percentile(k, .5))} / "
          f"{ratio(percentile(c, .99), percentile(k, .99))} the central vtapd's ({ms(percentile(k, .5))} / "
          f"{ms(percentile(k, .99))} ms); idle agents {big['agents_idle_cores']:.2f} cores; "
          f"sizes {','.join(str(r['nodes']) for r in results)} of {','.join(map(str, sizes))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
