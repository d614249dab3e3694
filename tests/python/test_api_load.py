"""vtapd under a bounded load on loopback: four writers (administrators and tenants) create,
modify and remove policies concurrently, each along its own seeded random sequence and only
on its own policies, while two readers poll ``/v1/stats`` and ``/metrics`` and one client
follows ``/v1/events``. Every request must succeed; afterwards the daemon's policies are
exactly the set the writers tracked, the switches hold exactly what ``vtapctl compile``
gives for that set (up to the numbering of marks), the event stream carried one ``applied``
per change, in order, and the daemon is alive. 160 changes take a few seconds on two cores;
nothing here is a performance assertion.
"""
from __future__ import annotations

import itertools
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from prometheus_client.parser import text_string_to_metric_families

from test_api import api, compiled_state, installed, open_events  # noqa: F401  (api: the fixture)
from topo_helpers import endpoint
from vtapd import ADMIN, TENANT_A, TENANT_B

OPS_PER_WRITER = 40
MAX_OWNED = 8  # a writer with this many policies modifies or removes, so the switches stay small
VMS = {"t1": ("vm1", "vm2", "vm3"), "t2": ("vm4", "vm5", "vm6")}
# (token, the tenant whose VMs it taps, whether the body names the tenant): two tenants and two
# administrators, one administrator on each tenant's VMs.
WRITERS = [(TENANT_A, "t1", False), (TENANT_B, "t2", False), (ADMIN, "t1", True), (ADMIN, "t2", True)]

MARK_IN_ACTION = re.compile(r"set_field:(\d+)->vlan_vid")
MARK_IN_MATCH = re.compile(r"dl_vlan=(\d+)")
MARK_IN_COOKIE = re.compile(r"cookie=0x7674(0[34])([0-9a-f]{10})")  # transit and recovery rules: the mark


def group_marks(state: dict) -> dict[tuple[str, str, str], int]:
    """(switch, group id, bucket id) -> the mark that bucket pushes."""
    out = {}
    for switch, (_, groups, _) in state.items():
        for group in groups:
            gid = re.match(r"group_id=(\d+)", group).group(1)
            for bucket in group.split(",bucket=")[1:]:
                if vid := MARK_IN_ACTION.search(bucket):
                    out[(switch, gid, bucket.split(",")[0])] = int(vid.group(1)) - 0x1000
    return out


def renumber_marks(state: dict, reference: dict) -> dict:
    """``state`` with its marks renamed to the reference's, matched through the groups' buckets
    (group ids follow policy ids, so they are the same in both); the renaming must be a bijection."""
    ours, theirs = group_marks(state), group_marks(reference)
    assert ours.keys() == theirs.keys(), (sorted(ours), sorted(theirs))
    rename: dict[int, int] = {}
    for key, mark in ours.items():
        assert rename.setdefault(mark, theirs[key]) == theirs[key], ("one mark, two streams", key)
    assert len(set(rename.values())) == len(rename), ("two marks, one stream", rename)

    def line(text: str) -> str:
        text = MARK_IN_ACTION.sub(lambda m: f"set_field:{rename[int(m.group(1)) - 0x1000] + 0x1000}->vlan_vid", text)
        text = MARK_IN_MATCH.sub(lambda m: f"dl_vlan={rename[int(m.group(1))]}", text)
        return MARK_IN_COOKIE.sub(lambda m: f"cookie=0x7674{m.group(1)}{rename[int(m.group(2), 16)]:010x}", text)

    return {switch: tuple(sorted(line(x) for x in part) for part in parts) for switch, parts in state.items()}


class Writer:
    """One client with its own policies: ``expected`` is what it believes the daemon holds of them."""

    def __init__(self, index: int, url: str):
        self.index = index
        self.token, self.tenant, self.names_tenant = WRITERS[index]
        self.url = url
        self.rng = random.Random(1000 + index)
        self.ports = itertools.count(10_000 * (index + 1))  # distinct filters, never reused
        self.expected: dict[int, dict] = {}
        # Each policy this writer created: (when its creation was answered, id, its successful changes in
        # order, one event each). An id can come back: a removed policy's id is free for the next create.
        self.lives: list[tuple[float, int, list[str]]] = []
        self.live: dict[int, list[str]] = {}

    def body(self, number: int) -> dict:
        sender, receiver, monitor = self.rng.choice(list(itertools.permutations(VMS[self.tenant])))
        p = {"name": f"w{self.index}-{number}", "sender": endpoint(sender), "receiver": endpoint(receiver),
             "monitor": endpoint(monitor), "filter": f"{self.rng.choice(('tcp', 'udp'))},tp_dst={next(self.ports)}"}
        if self.names_tenant:
            p["tenant"] = self.tenant
        return p

    def run(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        for n in range(OPS_PER_WRITER):
            owned = sorted(self.expected)
            roll = self.rng.random()
            if not owned or (len(owned) < MAX_OWNED and roll < 0.45):
                sent = self.body(n)
                r = session.post(f"{self.url}/v1/policies", json=sent, timeout=30)
                assert r.status_code == 201, (self.index, n, r.status_code, r.text)
                pid = r.json()["id"]
                assert r.headers["Location"] == f"/v1/policies/{pid}"
                want = dict(sent, id=pid, tenant=self.tenant)
                self.live[pid] = ["added"]
                self.lives.append((time.monotonic(), pid, self.live[pid]))
            elif roll < 0.75:
                pid = self.rng.choice(owned)
                old = self.expected[pid]
                sent = dict(self.body(n), name=old["name"])
                r = session.put(f"{self.url}/v1/policies/{pid}", json=sent, timeout=30)
                assert r.status_code == 200, (self.index, n, r.status_code, r.text)
                want = dict(sent, id=pid, tenant=self.tenant)
                self.live[pid].append("modified")
            else:
                pid = self.rng.choice(owned)
                r = session.delete(f"{self.url}/v1/policies/{pid}", timeout=30)
                assert r.status_code == 204, (self.index, n, r.status_code, r.text)
                del self.expected[pid]
                self.live.pop(pid).append("removed")
                continue
            assert r.json() == want, (self.index, n, r.json(), want)
            self.expected[pid] = want
        session.close()


def reader(url: str, token: str, stop: threading.Event, counts: Counter) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        for path in ("/v1/stats", "/metrics"):
            r = session.get(url + path, timeout=30)
            assert r.status_code == 200, (path, r.status_code, r.text)
            if path == "/v1/stats":
                assert isinstance(r.json()["stats"], list)
            else:
                assert "# TYPE vtap_policy_active gauge" in r.text
            counts[path] += 1
    session.close()


class EventStream:
    """``GET /v1/events`` on a raw socket, read on a thread; ``frames()`` parses what arrived."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.data = bytearray()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            with self.lock:
                self.data += chunk

    def wait_open(self, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.data:
            assert time.monotonic() < deadline, bytes(self.data)
            time.sleep(0.02)

    def text(self) -> str:
        with self.lock:
            raw = bytes(self.data)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
            out, rest = bytearray(), body
            while True:
                size_line, sep, rest = rest.partition(b"\r\n")
                if not sep:
                    break
                size = int(size_line.split(b";")[0], 16)
                if size == 0 or len(rest) < size + 2:
                    break
                out += rest[:size]
                rest = rest[size + 2:]
            body = bytes(out)
        return body.decode(errors="replace")

    def frames(self) -> list[tuple[int, str, dict]]:
        """(id, event name, data) of every complete frame."""
        out = []
        for block in self.text().split("\n\n")[:-1]:
            fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
            if "event" in fields:
                out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
        return out

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_concurrent_writers_readers_and_an_event_stream(api, vtapctl, tmp_path):  # noqa: F811
    daemon, net, doc = api
    started = time.monotonic()
    events = EventStream(open_events(daemon, ADMIN))
    events.wait_open()  # the stream is subscribed before the first change
    writers = [Writer(i, daemon.url) for i in range(len(WRITERS))]
    stop, reads = threading.Event(), Counter()
    with ThreadPoolExecutor(max_workers=len(writers) + 2) as pool:
        readers = [pool.submit(reader, daemon.url, token, stop, reads) for token in (ADMIN, TENANT_A)]
        try:
            for done in [pool.submit(w.run) for w in writers]:
                done.result(timeout=120)
        finally:
            stop.set()
        for r in readers:
            r.result(timeout=60)
    load_seconds = time.monotonic() - started

    expected = {pid: p for w in writers for pid, p in w.expected.items()}
    changes: dict[int, list[tuple[str, str]]] = {}  # policy id -> (detail, tenant) of each change, in order
    for _, pid, details, tenant in sorted((*life, w.tenant) for w in writers for life in w.lives):
        changes.setdefault(pid, []).extend((d, tenant) for d in details)
    count = sum(map(len, changes.values()))
    assert count == len(writers) * OPS_PER_WRITER
    assert expected, "the seeded sequences leave some policies in place"
    assert reads["/v1/stats"] > 0 and reads["/metrics"] > 0

    # The daemon holds exactly the tracked set; each tenant sees only its share.
    listed = daemon.request("GET", "/v1/policies").json()["policies"]
    assert {p["id"]: p for p in listed} == expected
    for token, tenant in ((TENANT_A, "t1"), (TENANT_B, "t2")):
        mine = daemon.request("GET", "/v1/policies", token=token).json()["policies"]
        assert {p["id"]: p for p in mine} == {i: p for i, p in expected.items() if p["tenant"] == tenant}
    stats = daemon.request("GET", "/v1/stats").json()["stats"]
    assert sorted(st["id"] for st in stats) == sorted(expected) and all(st["active"] for st in stats)
    # /metrics counted every change request, and has one series per policy.
    samples = [s for f in text_string_to_metric_families(daemon.request("GET", "/metrics").text) for s in f.samples]
    assert [s.value for s in samples if s.name == "vtap_apply_duration_seconds_count"] == [count]
    assert sorted(int(s.labels["policy"]) for s in samples if s.name == "vtap_policy_active") == sorted(expected)
    # ... and the switches exactly what vtapctl compile gives for it, up to the numbering of the
    # marks (docs/design.md §4.13: allocated lowest-free, so they depend on the order of changes).
    reference = compiled_state(vtapctl, tmp_path, net, doc, sorted(expected.values(), key=lambda p: p["id"]))
    assert renumber_marks(installed(net), reference) == reference

    # One `applied` per successful change, about the policy it changed, in the order of that
    # policy's changes; ids increase one by one (an administrator sees every event); nothing failed.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sum(kind == "applied" for _, kind, _ in events.frames()) < count:
        time.sleep(0.1)
    time.sleep(0.5)  # nothing more arrives
    frames = events.frames()
    events.close()
    kinds = Counter(kind for _, kind, _ in frames)
    assert kinds == {"applied": count}, kinds
    ids = [i for i, _, _ in frames]
    assert ids == list(range(ids[0], ids[0] + len(ids))), ids
    applied: dict[int, list[tuple[str, str]]] = {}
    for _, _, data in frames:
        applied.setdefault(data["policy"], []).append((data["detail"], data["tenant"]))
    assert applied == changes, {p: (applied.get(p), changes.get(p)) for p in set(applied) | set(changes)
                                if applied.get(p) != changes.get(p)}

    assert daemon.alive(), daemon.log.read_text(errors="replace")[-4000:]
    log = daemon.log.read_text(errors="replace")
    server_errors = [line for line in log.splitlines() if re.match(r"\S+ [A-Z]+ /\S* 5\d\d ", line)]
    assert not server_errors, server_errors
    assert load_seconds < 60, load_seconds
    reused = sum(n - 1 for n in Counter(pid for w in writers for _, pid, _ in w.lives).values())
    print(f"{count} changes, {sum(reads.values())} reads, {len(frames)} events in {load_seconds:.1f} s; "
          f"{len(expected)} policies left; {reused} ids given out again after a removal")
