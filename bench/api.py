#!/usr/bin/env python3
"""vtapd's HTTP API against the library it serves (issue: the management API): on a private
user-space Open vSwitch, two netdev bridges each with three network namespaces on veth
(sender, receiver, monitor). ``vtapctl serve`` (vtapd, admin token, loopback TCP) manages
bridge ``a``; a ``vtap.Service`` in this process (Python bindings) manages bridge ``b``; both
keep a state file and reconcile every second, so each change does the same work.

(a) Policy to first copy: a probe stream (a UDP frame every --gap-us from each sender, sent by
    a separate process so that this one's GIL cannot hold it up) runs toward each receiver;
    measured is the time from ``POST /v1/policies`` (a kept-alive HTTP/1.1 connection) of a
    policy copying it to the monitor until the first copy reaches the monitor (an AF_PACKET
    socket there, kernel receive time stamps), and the same from ``Service.add``; then the
    policy is removed (``DELETE`` / ``Service.remove``) and the copies drain. The two methods
    alternate trial by trial. This is bench/latency.py's method (bench_latency does the same
    in C++ for the C++ Service).
(b) Creates per second: --policies distinct policies (``tcp,tp_dst=N``) by sequential
    ``POST``s, by 4 clients concurrently (each its own connection), and by sequential
    ``Service.add`` in process; each set is then removed (timed too). Repeated --rounds times,
    interleaved; medians.

Prints a table, the ratios API / library, and one ``summary`` line.

    python3 bench/api.py [--trials 200] [--policies 200] [--rounds 3] [--gap-us 200] [--build build] [--quick]
"""
from __future__ import annotations

import argparse
import ctypes
import http.client
import itertools
import json
import math
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE_PORT = 47001
LIMIT_S = 2.0      # a trial without a copy by then is missed
QUIET_S = 0.02     # no probe for this long: no copies in flight
STOP_LIMIT_S = 10  # copies must have stopped by then after a removal
CLIENTS = 4
ADMIN_TOKEN = "bench-admin-token-0001"
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
CLONE_NEWNET = 0x40000000
# bridge -> [(host, mac, ofport)]: sender, receiver, monitor
BRIDGES = {b: [(f"{b}{n}", f"fa:16:3e:00:0{i}:0{n}", n) for n in (1, 2, 3)] for i, b in enumerate(("a", "b"), 1)}


# ------------------------------------------------------------------------ packets and sockets

def netns_socket(ns: str, ifname: str) -> socket.socket:
    """An AF_PACKET socket bound to ``ifname`` inside network namespace ``ns``."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"cannot enter netns {ns}")
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            sock.bind((ifname, 0))
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "cannot return to the own netns")
    finally:
        os.close(own)
        os.close(target)
    return sock


def probe_frame(src: str, dst: str) -> bytes:
    """Ethernet/IPv4/UDP to the probe port, 60 bytes (as bench_latency's)."""
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0,
                               bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])))
    csum = sum(struct.unpack("!10H", ip))
    while csum >> 16:
        csum = (csum & 0xffff) + (csum >> 16)
    ip[10:12] = struct.pack("!H", ~csum & 0xffff)
    udp = struct.pack("!HHHH", PROBE_PORT, PROBE_PORT, 26, 0) + bytes(18)
    mac = lambda m: bytes.fromhex(m.replace(":", ""))  # noqa: E731
    return mac(dst) + mac(src) + b"\x08\x00" + bytes(ip) + udp


def is_probe(frame: bytes) -> bool:
    return len(frame) >= 38 and frame[12:14] == b"\x08\x00" and frame[23] == 17 and \
        frame[36:38] == struct.pack("!H", PROBE_PORT)


def probe_main(gap_us: int, targets: list[str]) -> int:
    """The probe process: ``targets`` are NS:IF:SRC-MAC:DST-MAC; sends one frame on each every gap."""
    out = []
    for t in targets:
        ns, ifname, rest = t.split(":", 2)
        src, dst = rest[:17], rest[18:]
        out.append((netns_socket(ns, ifname), probe_frame(src, dst)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    gap = gap_us / 1e6
    next_at = time.monotonic()
    while True:
        for sock, frame in out:
            sock.send(frame)
        next_at += gap
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.monotonic()


class Monitor:
    """Probe copies arriving at a monitor's interface, with the kernel's receive time."""

    def __init__(self, ns: str, ifname: str):
        self.sock = netns_socket(ns, ifname)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    def next_probe(self, within: float) -> int | None:
        """CLOCK_REALTIME ns at which the next probe arrived, or None after ``within`` s."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, anc, _, _ = self.sock.recvmsg(2048, socket.CMSG_SPACE(16))
            except socket.timeout:
                return None
            if is_probe(data):
                for level, kind, value in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", value[:16])
                        return sec * 1_000_000_000 + nsec
                return time.time_ns()
        return None

    def drain(self, what: str) -> None:
        deadline = time.monotonic() + STOP_LIMIT_S
        while self.next_probe(QUIET_S) is not None:
            if time.monotonic() > deadline:
                sys.exit(f"the monitor still gets copies {STOP_LIMIT_S} s after {what} stopped")


# ------------------------------------------------------------------------ vtapd

class Api:
    """One kept-alive HTTP/1.1 connection to vtapd as an administrator."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None, want: int) -> bytes:
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        reply = self.conn.getresponse()
        data = reply.read()
        if reply.status != want:
            sys.exit(f"{method} {path}: {reply.status} {data[:500]!r} (expected {want})")
        return data

    def create(self, policy: dict) -> int:
        return json.loads(self.call("POST", "/v1/policies", policy, 201))["id"]

    def remove(self, pid: int) -> None:
        self.call("DELETE", f"/v1/policies/{pid}", None, 204)

    def close(self) -> None:
        self.conn.close()


def start_vtapd(vtapctl: Path, work: Path, switch: str, target: str):
    """vtapd on bridge ``switch`` (a vtap.sandbox.LoggedProcess) and its API's URL."""
    from vtap.sandbox import LoggedProcess  # noqa: PLC0415  (vtap is imported where it is needed)
    tokens = work / "tokens.json"
    tokens.write_text(json.dumps({ADMIN_TOKEN: "*"}))
    tokens.chmod(0o600)
    vtapd = LoggedProcess([vtapctl, "serve", "--topology", work / "topology-a.json", "--state",
                           work / "vtapd-state.json", "--switch", f"{switch}={target}", "--listen", "127.0.0.1:0",
                           "--tokens", tokens], work / "vtapd.log")
    try:
        return vtapd, vtapd.wait_for(r"API on (http://\S+)", 20).group(1)
    except BaseException:
        vtapd.stop()
        raise


def stop(proc: subprocess.Popen) -> None:
    from vtap.sandbox import stop_child  # noqa: PLC0415  (vtap is imported where it is needed)
    stop_child(proc)


# ------------------------------------------------------------------------ measuring

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fmt(ms: float) -> str:
    return f"> {LIMIT_S * 1e3:.0f} ms" if math.isinf(ms) else f"{ms:.2f} ms"


def first_copy(monitor: Monitor, name: str, start, stop_copying, out: dict) -> None:
    """One trial: time from the start of ``start()`` to the first copy; then stop and drain."""
    t0 = time.time_ns()
    handle = start()
    t1 = time.time_ns()
    seen = monitor.next_probe(LIMIT_S)
    out["ms"].append(math.inf if seen is None else (seen - t0) / 1e6)
    out["call_ms"].append((t1 - t0) / 1e6)
    stop_copying(handle)
    monitor.drain(name)


def tcp_policy(hosts, port: int) -> dict:
    (_, s, _), (_, r, _), (_, m, _) = hosts
    return {"sender": {"mac": s}, "receiver": {"mac": r}, "monitor": {"mac": m}, "filter": f"tcp,tp_dst={port}"}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200, help="first-copy trials per method")
    ap.add_argument("--policies", type=int, default=200, help="policies per creates/s measurement")
    ap.add_argument("--rounds", type=int, default=3, help="creates/s rounds (medians)")
    ap.add_argument("--gap-us", type=int, default=200, help="probe interval")
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--quick", action="store_true", help="CI scale: 5 trials, 20 policies, 1 round")
    ap.add_argument("--probe", nargs="+", help=argparse.SUPPRESS)  # internal: the probe process
    args = ap.parse_args()
    if args.probe:
        return probe_main(args.gap_us, args.probe)
    if args.quick:
        args.trials, args.policies, args.rounds = 5, 20, 1
    args.policies -= args.policies % CLIENTS
    build = Path(args.build).resolve()
    sys.path.insert(0, str(build / "python"))
    import vtap  # noqa: PLC0415
    from vtap.sandbox import OvsSandbox  # noqa: PLC0415

    tag = f"vta{os.getpid() % 100000}"
    namespaces: list[str] = []
    probe = vtapd = None
    try:
        with tempfile.TemporaryDirectory(prefix="vtap-api-") as tmp, OvsSandbox(dummy="tunnels") as ovs:
            work = Path(tmp)
            for dpid, (bridge, hosts) in enumerate(BRIDGES.items(), 1):
                ovs.add_bridge(bridge, dpid=dpid, datapath_type="netdev")
                for name, mac, port in hosts:
                    ns = veth = f"{tag}-{name}"
                    for argv in (["ip", "netns", "add", ns],
                                 ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
                                 ["ip", "-n", ns, "link", "set", "eth0", "address", mac],
                                 ["ip", "-n", ns, "link", "set", "eth0", "up"],
                                 ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
                                 ["ip", "link", "set", veth, "up"]):
                        subprocess.run(argv, check=True, capture_output=True)
                        if argv[:3] == ["ip", "netns", "add"]:
                            namespaces.append(ns)
                    ovs.vsctl("add-port", bridge, veth, "--", "set", "interface", veth, f"ofport_request={port}")
                    ovs.ofctl("add-flow", bridge, f"priority=10,dl_dst={mac},actions=output:{port}")
                topo = {"switches": [{"name": bridge, "dpid": f"{dpid:016x}"}],
                        "hosts": [{"name": n, "mac": m, "switch": bridge, "port": p} for n, m, p in hosts], "links": []}
                (work / f"topology-{bridge}.json").write_text(json.dumps(topo))

            probe = subprocess.Popen(
                [sys.executable, __file__, "--gap-us", str(args.gap_us), "--probe",
                 *(f"{tag}-{hosts[0][0]}:eth0:{hosts[0][1]}:{hosts[1][1]}" for hosts in BRIDGES.values())])
            vtapd, url = start_vtapd(build / "vtapctl", work, "a", ovs.mgmt("a"))
            api = Api(url)
            monitors = {b: Monitor(f"{tag}-{hosts[2][0]}", "eth0") for b, hosts in BRIDGES.items()}
            with vtap.Service(vtap.Topology.load(str(work / "topology-b.json")), {"b": ovs.mgmt("b")},
                              state_file=str(work / "service-state.json")) as svc:
                svc.start(1.0)  # as vtapd: reconcile now and every second

                # (a) policy to first copy, alternating which method goes first
                (_, sa, _), (_, ra, _), (_, ma, _) = BRIDGES["a"]
                (_, sb, _), (_, rb, _), (_, mb, _) = BRIDGES["b"]
                over_http = {"sender": {"mac": sa}, "receiver": {"mac": ra}, "monitor": {"mac": ma}, "filter": "udp"}
                in_process = vtap.TapPolicy(sender=vtap.Endpoint(mac=sb), receiver=vtap.Endpoint(mac=rb),
                                            monitor=vtap.Endpoint(mac=mb), filter="udp")
                for m in monitors.values():
                    m.drain("the start")
                lat = {k: {"ms": [], "call_ms": []} for k in ("api", "service")}
                methods = [("api", lambda: first_copy(monitors["a"], "the API", lambda: api.create(over_http),
                                                      api.remove, lat["api"])),
                           ("service", lambda: first_copy(monitors["b"], "Service.add", lambda: svc.add(in_process),
                                                          svc.remove, lat["service"]))]
                for t in range(args.trials):
                    for _, trial in (methods if t % 2 == 0 else methods[::-1]):
                        trial()

                # (b) creates per second
                rates = {k: [] for k in ("api", "api4", "service", "api_remove", "service_remove")}
                ports = itertools.count(1000)  # every policy of the run is distinct
                for _ in range(args.rounds):
                    pols = [tcp_policy(BRIDGES["a"], next(ports)) for _ in range(args.policies)]
                    ids: list[int] = []
                    rates["api"].append(len(pols) / timed(lambda: ids.extend(api.create(p) for p in pols)))
                    rates["api_remove"].append(len(ids) / timed(lambda: [api.remove(i) for i in ids]))

                    pols = [tcp_policy(BRIDGES["a"], next(ports)) for _ in range(args.policies)]
                    clients = [Api(url) for _ in range(CLIENTS)]
                    created: list[list[int]] = [[] for _ in clients]

                    def client(k: int) -> None:
                        created[k].extend(clients[k].create(p) for p in pols[k::CLIENTS])
                    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
                    t0 = time.perf_counter()
                    for th in threads:
                        th.start()
                    for th in threads:
                        th.join()
                    elapsed = time.perf_counter() - t0
                    if sum(map(len, created)) != len(pols):
                        sys.exit("a concurrent client failed (see above)")
                    rates["api4"].append(len(pols) / elapsed)
                    for c, mine in zip(clients, created):
                        for i in mine:
                            c.remove(i)
                        c.close()

                    pols_b = [vtap.TapPolicy(sender=vtap.Endpoint(mac=sb), receiver=vtap.Endpoint(mac=rb),
                                             monitor=vtap.Endpoint(mac=mb), filter=f"tcp,tp_dst={next(ports)}")
                              for _ in range(args.policies)]
                    sids: list[int] = []
                    rates["service"].append(len(pols_b) / timed(lambda: sids.extend(svc.add(p) for p in pols_b)))
                    rates["service_remove"].append(len(sids) / timed(lambda: [svc.remove(i) for i in sids]))
                left = (len(json.loads(api.call("GET", "/v1/policies", None, 200))["policies"]), len(svc.list()))
                api.close()
            if left != (0, 0):
                sys.exit(f"policies left after the run (API, Service): {left}")
            if not vtapd.running():
                sys.exit("vtapd exited during the run")
    finally:
        if probe is not None:
            stop(probe)
        if vtapd is not None:
            vtapd.stop()
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            subprocess.run(["ip", "link", "del", ns], capture_output=True)

    p50 = {k: percentile(v["ms"], 0.5) for k, v in lat.items()}
    p99 = {k: percentile(v["ms"], 0.99) for k, v in lat.items()}
    call50 = {k: percentile(v["call_ms"], 0.5) for k, v in lat.items()}
    missed = {k: sum(math.isinf(x) for x in v["ms"]) for k, v in lat.items()}
    rate = {k: statistics.median(v) for k, v in rates.items()}
    ratio = lambda a, b: "n/a" if math.isinf(a) or math.isinf(b) else f"{a / b:.2f}x"  # noqa: E731

    print(f"api: first copy, {args.trials} trials per method (probe every {args.gap_us} us; "
          f"creates/s: {args.policies} policies, median of {args.rounds} round(s))")
    print(f"{'from the change to the first copy':<40} {'p50':>10} {'p99':>10} {'call p50':>10} {'missed':>7}")
    for k, label in (("api", "POST /v1/policies (vtapd)"), ("service", "Service.add (in process)")):
        print(f"{label:<40} {fmt(p50[k]):>10} {fmt(p99[k]):>10} {fmt(call50[k]):>10} {missed[k]:>7}")
    print(f"{'ratio API / Service.add':<40} {ratio(p50['api'], p50['service']):>10} "
          f"{ratio(p99['api'], p99['service']):>10} {ratio(call50['api'], call50['service']):>10}")
    print(f"{'changes per second':<40} {'creates/s':>10} {'removes/s':>10} {'÷ library':>10}")
    print(f"{'POST, one client, sequential':<40} {rate['api']:>10.0f} {rate['api_remove']:>10.0f} "
          f"{ratio(rate['api'], rate['service']):>10}")
    print(f"{f'POST, {CLIENTS} clients concurrently':<40} {rate['api4']:>10.0f} {'':>10} "
          f"{ratio(rate['api4'], rate['service']):>10}")
    print(f"{'Service.add / remove, sequential':<40} {rate['service']:>10.0f} {rate['service_remove']:>10.0f} "
          f"{'1.00x':>10}")
    print(json.dumps({"trials": args.trials, "policies": args.policies, "rounds": args.rounds,
                      "first_copy_ms": {k: {"p50": round(p50[k], 3), "p99": round(p99[k], 3),
                                            "call_p50": round(call50[k], 3), "missed": missed[k],
                                            "trials_ms": [None if math.isinf(x) else round(x, 3) for x in v["ms"]],
                                            "calls_ms": [round(x, 3) for x in v["call_ms"]]}
                                        for k, v in lat.items()},
                      "per_s": {k: round(v, 1) for k, v in rate.items()}}))
    print(f"summary api: POST -> first copy p50 {fmt(p50['api'])}, p99 {fmt(p99['api'])} = "
          f"{ratio(p50['api'], p50['service'])} / {ratio(p99['api'], p99['service'])} Service.add's "
          f"({fmt(p50['service'])} / {fmt(p99['service'])}); creates/s {rate['api']:.0f} sequential, "
          f"{rate['api4']:.0f} with {CLIENTS} clients = {ratio(rate['api'], rate['service'])} / "
          f"{ratio(rate['api4'], rate['service'])} Service.add's {rate['service']:.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
