"""Tests of vtap.ovsdb_cluster: a real three-member Raft ovsdb-server that elects a new leader
when its leader is killed, takes the killed member back, commits with a member paused, and
leaves nothing behind, from Python and from its command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prerequisites import missing
from vtap_import import import_vtap

vtap = import_vtap()
from vtap.ovsdb_cluster import OvsdbCluster  # noqa: E402
from vtap.sandbox import alive, ovs_installed  # noqa: E402

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "vtap.ovsschema"
GLOBAL_ROW = {"generation": 0, "next_policy_id": 1}


def insert_global(cluster: OvsdbCluster, member: int | None = None) -> None:
    cluster.transact([{"op": "insert", "table": "VTAP_Global", "row": GLOBAL_ROW}], member)


def set_generation(cluster: OvsdbCluster, generation: int, member: int | None = None) -> None:
    """Write through ``member`` (default: the leader); the transaction returns once committed."""
    result = cluster.transact([{"op": "update", "table": "VTAP_Global", "where": [],
                                "row": {"generation": generation}}], member)
    assert result == [{"count": 1}]


def generation_on(cluster: OvsdbCluster, member: int, expected: int, timeout: float = 5.0) -> int | None:
    """The generation member ``member`` has, polled until it is ``expected`` (a follower applies a
    commit when the leader's next message tells it the commit index) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        rows = cluster.select("VTAP_Global", member)
        got = rows[0]["generation"] if rows else None
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def require_ovs() -> None:
    if not ovs_installed():
        missing("Open vSwitch (ovsdb-server, ovsdb-tool) is not installed")


@pytest.fixture
def cluster():
    require_ovs()
    with OvsdbCluster(SCHEMA) as started:
        yield started


def test_write_through_the_leader_is_read_through_every_member(cluster):
    leader = cluster.leader()
    assert [cluster.status(i)["Status"] for i in range(3)] == ["cluster member"] * 3
    assert sorted(cluster.status(i)["Role"] for i in range(3)) == ["follower", "follower", "leader"]
    assert cluster.remotes == ",".join(f"tcp:127.0.0.1:{p}" for p in cluster.client_ports)
    assert cluster.remotes.split(",")[1] == cluster.remote(1)
    insert_global(cluster, leader)
    for member in range(3):
        assert generation_on(cluster, member, 0) == 0
    follower = (leader + 1) % 3
    set_generation(cluster, 1, follower)  # a follower passes the write on to the leader
    assert generation_on(cluster, (leader + 2) % 3, 1) == 1
    dump = cluster.client("dump", cluster.remote(follower), "VTAP", "VTAP_Global")
    assert "VTAP_Global table" in dump


def test_killed_leader_is_replaced_and_rejoins(cluster):
    insert_global(cluster)
    old = cluster.leader()
    cluster.kill(old)
    assert not cluster.running(old)
    new = cluster.leader()  # waits for the election
    assert new != old
    assert int(cluster.status(new)["Term"]) > 1
    set_generation(cluster, 7)
    cluster.restart(old)
    status = cluster.status(old)
    assert (status["Status"], status["Role"]) == ("cluster member", "follower")
    assert generation_on(cluster, old, 7) == 7
    set_generation(cluster, 8, old)  # and it takes writes again
    assert generation_on(cluster, new, 8) == 8


def test_write_commits_with_a_follower_paused(cluster):
    insert_global(cluster)
    leader = cluster.leader()
    paused = (leader + 1) % 3
    cluster.pause(paused)
    try:
        set_generation(cluster, 3)
        assert cluster.leader() == leader
    finally:
        cluster.resume(paused)
    assert generation_on(cluster, paused, 3) == 3


def test_election_timer_is_set_stepwise_on_every_member():
    require_ovs()
    with OvsdbCluster(SCHEMA, election_timer_ms=300) as cluster:
        assert [cluster.status(i)["Election timer"] for i in range(3)] == ["300"] * 3
        cluster.set_election_timer(2500)  # 300 -> 600 -> 1200 -> 2400 -> 2500: OVS at most doubles it
        for member in range(3):
            deadline = time.monotonic() + 5
            while cluster.status(member)["Election timer"] != "2500" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert cluster.status(member)["Election timer"] == "2500"


def test_stop_leaves_no_member_and_no_directory(cluster):
    pids = list(cluster.pids.values())
    assert len(pids) == 3 and all(alive(pid) for pid in pids)
    cluster.pause(cluster.leader())  # a paused member is stopped too
    cluster.stop()
    assert not any(alive(pid) for pid in pids)
    assert not cluster.dir.exists()
    cluster.stop()  # twice is harmless


def test_command_line_start_and_stop():
    require_ovs()
    directory = Path(f"/tmp/vtap-raft-cli-{os.getpid()}")  # short: unix socket paths
    package = os.path.dirname(os.path.dirname(os.path.abspath(vtap.__file__)))  # where vtap was imported from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "vtap.ovsdb_cluster", *args], env=env, capture_output=True,
                              text=True, timeout=60)

    try:
        started = cli("start", str(directory), "--members", "3", "--schema", str(SCHEMA))
        assert started.returncode == 0, started.stderr
        remotes = started.stdout.strip()
        assert len(remotes.split(",")) == 3
        attached = OvsdbCluster.attach(directory)
        assert attached.remotes == remotes
        pids = list(attached.pids.values())
        assert len(pids) == 3 and all(alive(pid) for pid in pids)
        insert_global(attached)
        assert cli("stop", str(directory)).returncode == 0
        assert not any(alive(pid) for pid in pids)
        assert directory.exists()  # the caller's directory is left
    finally:
        cli("stop", str(directory))
        shutil.rmtree(directory, ignore_errors=True)
