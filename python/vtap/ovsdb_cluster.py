"""A private clustered (Raft) ``ovsdb-server``: N members on loopback TCP, for tests and benchmarks.

:class:`OvsdbCluster` creates member 0's database with ``ovsdb-tool create-cluster``, the others'
with ``join-cluster``, starts one detached ``ovsdb-server`` per member (through
:class:`vtap.sandbox.Daemons`: stopped by pid, never a reused one) and returns from ``start()``
once every member is a cluster member following one leader. Member ``i`` (from 0) has
``mI.db``, ``.log``, ``.pid``, the control socket ``mI.ctl`` and the unix remote ``mI.sock`` in
the cluster's directory, and free loopback ports for its clients and its peers. ``kill``
(SIGKILL), ``restart`` (same database file, same ports), ``pause`` and ``resume``
(SIGSTOP/SIGCONT) make crashes and stalls. Everything is stopped on ``__exit__`` (also after
an exception, Ctrl-C or a SIGTERM in the main thread), by a ``weakref.finalize`` safety net and
at interpreter exit; the directory is removed unless ``keep`` (env ``VTAP_KEEP_OVS=1``) or
``path`` is given. Example::

    with OvsdbCluster() as cluster:                   # schema/vtap.ovsschema, 3 members
        cluster.transact([{"op": "insert", "table": "VTAP_Global",
                           "row": {"generation": 0, "next_policy_id": 1}}])
        cluster.kill(cluster.leader())                # a new leader is elected
        print(cluster.remotes)                        # tcp:127.0.0.1:P0,tcp:127.0.0.1:P1,...

From a shell (``start`` prints the remotes and records the cluster in ``DIR/cluster.json``;
this file needs only the standard library, so ``python3 python/vtap/ovsdb_cluster.py`` works
in a source tree without a build)::

    python3 -m vtap.ovsdb_cluster start DIR [--members N] [--schema PATH] [--election-timer MS]
    python3 -m vtap.ovsdb_cluster stop DIR    # stop what start started (DIR is left)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Sequence

if __package__:
    from ._daemons import COMMAND_TIMEOUT, Daemons, Lifecycle, OvsError, interrupt_on_sigterm, ovs_env, run
else:  # run as a file (python3 python/vtap/ovsdb_cluster.py): _daemons.py is beside it
    from _daemons import (COMMAND_TIMEOUT, Daemons, Lifecycle, OvsError,  # type: ignore[no-redef]
                          interrupt_on_sigterm, ovs_env, run)

__all__ = ["OvsdbCluster", "default_schema", "main"]

#: The file in the cluster's directory that records its members (for the command line).
STATE_FILE = "cluster.json"
#: Seconds :meth:`OvsdbCluster.start` and :meth:`OvsdbCluster.restart` wait for the cluster.
FORM_TIMEOUT = 30.0
#: Seconds :meth:`OvsdbCluster.leader` waits for a leader.
LEADER_TIMEOUT = 10.0
_POLL = 0.05
_STATUS_LINE = re.compile(r"^([A-Za-z][A-Za-z ]*): (.*)$")


def default_schema() -> Path:
    """``schema/vtap.ovsschema`` of the source tree this module is in (also from a copy in
    ``build/python/vtap/`` of a build directory inside the tree)."""
    here = Path(__file__).resolve()
    candidates = [parent / "schema" / "vtap.ovsschema" for parent in here.parents[2:4]]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no vtap.ovsschema at {' or '.join(map(str, candidates))}; pass the schema's path")


def _free_ports(count: int) -> list[int]:
    """``count`` distinct loopback TCP ports nobody listens on (bound to port 0, then closed)."""
    with contextlib.ExitStack() as stack:  # all open at once: distinct ports
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _database_name(schema: Path, error: type[OvsError]) -> str:
    try:
        return json.loads(schema.read_text())["name"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise error(f"cannot read the database name from schema {schema}: {e}") from None


def _check_timer(ms: int) -> None:
    if not 100 <= ms <= 600000:  # as OVS
        raise ValueError(f"the election timer must be between 100 and 600000 ms, not {ms}")


def _cleanup(daemons: Daemons, directory: str, remove: bool) -> None:
    """Stop every member (SIGCONT too, should one be paused) and remove the directory.
    Module-level so the finalizer holds no reference to the cluster object."""
    daemons.stop_all()
    if remove:
        shutil.rmtree(directory, ignore_errors=True)


class OvsdbCluster(Lifecycle):
    """A clustered ``ovsdb-server`` of ``members`` members on loopback TCP.

    Parameters:
        schema: the ``.ovsschema`` file (default: :func:`default_schema`); its ``name`` is the
            database name (``VTAP``).
        members: how many servers (at least 1; 3 tolerates one failure).
        directory: parent directory for the cluster's temporary directory (default: ``$TMPDIR``
            or ``/tmp``); unix socket paths must stay under 108 bytes, so keep it short.
        keep: leave the directory (databases, logs) behind after stopping, for post-mortem
            debugging. Also enabled by env ``VTAP_KEEP_OVS=1``.
        path: use this directory (created if missing) instead of a new temporary one; the
            cluster then never removes it.
        election_timer_ms: after start, set the election timer to this (OVS's default: 1000 ms;
            100 to 600000), see :meth:`set_election_timer`.
        error: the exception class failed commands raise (:class:`OvsError` or a subclass).

    Attributes:
        dir: the directory; ``env``: the environment every ovs-* command runs with;
        database: the database name; ``raft_ports``, ``client_ports``: member i's ports;
        pids: member key (``"m0"``, ...) -> pid of every member running.
    """

    def __init__(self, schema: str | os.PathLike | None = None, members: int = 3, directory: str | None = None,
                 keep: bool | None = None, *, path: str | os.PathLike | None = None,
                 election_timer_ms: int | None = None, error: type[OvsError] = OvsError,
                 _state: dict[str, Any] | None = None):
        if members < 1:
            raise ValueError(f"members must be at least 1, not {members}")
        if election_timer_ms is not None:
            _check_timer(election_timer_ms)
        self.schema = Path(schema).absolute() if schema is not None else default_schema()
        # attach() passes what start() recorded: the schema need not be there any more.
        self.database: str = _state["database"] if _state else _database_name(self.schema, error)
        self.members = members
        self.election_timer_ms = election_timer_ms
        self.error = error
        self.keep = keep if keep is not None else os.environ.get("VTAP_KEEP_OVS") == "1"
        if path is None:
            self.dir = Path(tempfile.mkdtemp(prefix="vtap-raft-", dir=directory))
        else:
            self.dir = Path(path).absolute()
            self.dir.mkdir(parents=True, exist_ok=True)
        remove = path is None and not self.keep
        if len(str(self.dir / f"m{members - 1}.sock")) > 100:
            if path is None:
                shutil.rmtree(self.dir, ignore_errors=True)
            raise error(f"cluster path {self.dir} too long for unix sockets")
        if _state:
            self.raft_ports = [m["raft_port"] for m in _state["members"]]
            self.client_ports = [m["client_port"] for m in _state["members"]]
        else:
            ports = _free_ports(2 * members)
            self.raft_ports, self.client_ports = ports[:members], ports[members:]
        self.env = ovs_env(self.dir)
        self._daemons = Daemons(self.dir, error)
        self.pids = self._daemons.pids
        self._paused: set[int] = set()
        # Safety net: runs at most once, when the object is garbage collected or at
        # interpreter exit (weakref.finalize's atexit hook), unless stop() or release() ran.
        self._finalizer = weakref.finalize(self, _cleanup, self._daemons, str(self.dir), remove)
        self._cleanup_args = (self._daemons, str(self.dir), remove)

    @classmethod
    def attach(cls, path: str | os.PathLike, error: type[OvsError] = OvsError) -> "OvsdbCluster":
        """The cluster another process started in ``path`` (``start DIR`` of the command line).
        It is not stopped unless :meth:`stop` is called."""
        try:
            state = json.loads((Path(path) / STATE_FILE).read_text())
            cluster = cls(state["schema"], len(state["members"]), path=path, error=error, _state=state)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise error(f"no ovsdb cluster in {path}: {e}") from None
        cluster.release()
        for i in range(cluster.members):
            cluster._daemons.adopt(cluster._key(i), "ovsdb-server")
        return cluster

    # ------------------------------------------------------------------ addresses

    @property
    def remotes(self) -> str:
        """Every member's client remote, comma-separated, as OVS clients take a cluster
        (``ovsdb-client``, ``ovn-nbctl --db``, IDL clients): ``tcp:127.0.0.1:P0,...``."""
        return ",".join(self.remote(i) for i in range(self.members))

    def remote(self, i: int) -> str:
        """Member ``i``'s client remote, ``tcp:127.0.0.1:PORT``."""
        return f"tcp:127.0.0.1:{self.client_ports[self._check(i)]}"

    def _check(self, i: int) -> int:
        if not 0 <= i < self.members:
            raise IndexError(f"no member {i} (members are 0 to {self.members - 1})")
        return i

    def _key(self, i: int) -> str:
        """Member ``i``'s key in :attr:`pids` and the stem of its files."""
        return f"m{self._check(i)}"

    def running(self, i: int) -> bool:
        """Whether member ``i`` was started and not killed or stopped (paused counts)."""
        return self._key(i) in self.pids

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Create the members' databases, start every member, and return once each is a cluster
        member following one leader (then set the election timer, if asked)."""
        interrupt_on_sigterm()
        d = self.dir
        raft = [f"tcp:127.0.0.1:{port}" for port in self.raft_ports]
        run(["ovsdb-tool", "create-cluster", d / "m0.db", self.schema, raft[0]], self.env, error=self.error)
        for i in range(1, self.members):
            run(["ovsdb-tool", "join-cluster", d / f"m{i}.db", self.database, raft[i], *raft[:i]], self.env,
                error=self.error)
        # Recorded once the databases are new (ovsdb-tool refuses to overwrite one).
        members = [{"raft_port": r, "client_port": c} for r, c in zip(self.raft_ports, self.client_ports)]
        state = {"schema": str(self.schema), "database": self.database, "members": members}
        (d / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")
        for i in range(self.members):
            self._start_member(i)
        self._wait_formed(list(range(self.members)), FORM_TIMEOUT)
        if self.election_timer_ms is not None:
            self.set_election_timer(self.election_timer_ms)

    def _start_member(self, i: int) -> None:
        m = f"{self.dir}/{self._key(i)}"
        argv = ["ovsdb-server", f"--remote=ptcp:{self.client_ports[i]}:127.0.0.1", f"--remote=punix:{m}.sock",
                f"--unixctl={m}.ctl", f"{m}.db"]
        try:
            self._daemons.start(self._key(i), argv, self.env, retry_running=True)
        except self.error as e:
            raise self.error(f"member {i}: {e} (log: {m}.log)") from None

    def stop(self) -> None:
        """Stop every member (resumed first if paused); remove the directory unless ``keep`` or
        ``path`` was given. Safe to call twice."""
        self._paused.clear()
        self._finalizer.detach()
        _cleanup(*self._cleanup_args)

    def release(self) -> None:
        """Leave the members running when this object goes (``start DIR`` of the command line);
        :meth:`attach` and :meth:`stop` stop them later."""
        self._finalizer.detach()

    # ------------------------------------------------------------------ failures

    def kill(self, i: int) -> None:
        """``kill -9`` member ``i`` (as a crash would; also when paused) and wait until it is gone."""
        if not self.running(i):
            raise self.error(f"member {i} is not running")
        self._daemons.kill(self._key(i))
        self._paused.discard(i)

    def restart(self, i: int, timeout: float = FORM_TIMEOUT) -> None:
        """Start the killed member ``i`` again from its database file, on the same ports, and
        return once it is a cluster member following the cluster's leader."""
        if self.running(i):
            raise self.error(f"member {i} is running; kill it before restarting it")
        self._start_member(i)
        self._wait_formed([i], timeout)

    def pause(self, i: int) -> None:
        """Stop member ``i`` with SIGSTOP: it keeps its sockets but answers nothing."""
        self._signal(i, signal.SIGSTOP)
        self._paused.add(i)

    def resume(self, i: int) -> None:
        """Continue the paused member ``i`` (SIGCONT)."""
        self._signal(i, signal.SIGCONT)
        self._paused.discard(i)

    def _signal(self, i: int, sig: int) -> None:
        if not self.running(i):
            raise self.error(f"member {i} is not running")
        os.kill(self.pids[self._key(i)], sig)

    # ------------------------------------------------------------------ the cluster's state

    def appctl(self, i: int, *args: object, timeout: float = COMMAND_TIMEOUT) -> str:
        """``ovs-appctl -t DIR/mI.ctl ARGS`` on member ``i``; return stdout, raise naming the
        member on failure (a paused member times out)."""
        argv = ["ovs-appctl", f"--timeout={max(1, int(timeout))}", "-t", f"{self.dir}/{self._key(i)}.ctl", *args]
        try:
            return run(argv, self.env, timeout=timeout + 2, error=self.error).stdout
        except self.error as e:
            raise self.error(f"member {i}: {e}") from None

    def status(self, i: int, timeout: float = 5.0) -> dict[str, str]:
        """Member ``i``'s ``cluster/status DATABASE`` as ``{"Status": "cluster member", "Role":
        "leader", "Term": "2", "Leader": "self", "Election timer": "1000", ...}``."""
        text = self.appctl(i, "cluster/status", self.database, timeout=timeout)
        return {m[1]: m[2].strip() for m in map(_STATUS_LINE.match, text.splitlines()) if m}

    def _statuses(self) -> dict[int, dict[str, str]]:
        """The status of every running, unpaused member that answers."""
        found = {}
        for i in self._live():
            with contextlib.suppress(self.error):
                found[i] = self.status(i, timeout=2.0)
        return found

    def _live(self) -> list[int]:
        return [i for i in range(self.members) if self.running(i) and i not in self._paused]

    @staticmethod
    def _current_leader(statuses: dict[int, dict[str, str]]) -> int | None:
        """The member that says it leads in the newest term (a stale leader, paused or cut off
        during an election, has an older term than the members that elected another)."""
        newest = max((int(s.get("Term", "0")) for s in statuses.values()), default=0)
        leaders = [i for i, s in statuses.items() if s.get("Role") == "leader" and int(s.get("Term", "0")) == newest]
        return leaders[0] if len(leaders) == 1 else None

    def leader(self, timeout: float = LEADER_TIMEOUT) -> int:
        """The member that leads now (of those running and not paused), waiting up to
        ``timeout`` seconds for an election to end."""
        return self._wait(lambda statuses, leader: leader, timeout, "no leader")

    def _wait_formed(self, members: Sequence[int], timeout: float) -> None:
        """Wait until each of ``members`` is a cluster member following the current leader."""
        def formed(statuses: dict[int, dict[str, str]], leader: int | None) -> bool | None:
            if leader is None:
                return None
            leader_id = statuses[leader].get("Server ID", "").split(" ")[0]  # "a3a6 (a3a6534b-...)"
            return all(statuses.get(i, {}).get("Status") == "cluster member"
                       and statuses[i].get("Leader") in ("self", leader_id) for i in members) or None
        self._wait(formed, timeout, f"members {list(members)} not all following one leader")

    def _wait(self, check: Callable[[dict[int, dict[str, str]], int | None], Any], timeout: float, what: str) -> Any:
        """Poll the members' statuses until ``check(statuses, leader)`` is not None; return that."""
        deadline = time.monotonic() + timeout
        while True:
            statuses = self._statuses()
            found = check(statuses, self._current_leader(statuses))
            if found is not None:
                return found
            if time.monotonic() > deadline:
                seen = "; ".join(f"member {i}: {s.get('Status')}, {s.get('Role')}, term {s.get('Term')}, "
                                 f"leader {s.get('Leader')}" for i, s in sorted(statuses.items()))
                raise self.error(f"{what} after {timeout}s ({seen or 'no member answers'}; logs in {self.dir})")
            time.sleep(_POLL)

    def set_election_timer(self, ms: int, timeout: float = FORM_TIMEOUT) -> None:
        """Set the cluster's election timer to ``ms`` through the leader, at most doubling it per
        step (OVS refuses more), each step committed before the next."""
        _check_timer(ms)
        deadline = time.monotonic() + timeout
        while True:
            leader = self.leader(max(0.0, deadline - time.monotonic()))
            current = self._election_timer(leader)
            if current == ms:
                return
            if time.monotonic() > deadline:
                raise self.error(f"member {leader}: election timer {current} ms, not {ms} ms, after {timeout}s")
            if current is None:
                continue
            step = min(ms, 2 * current) if ms > current else ms
            try:  # refused while a change is being committed, or by a leader that just lost its role
                self.appctl(leader, "cluster/change-election-timer", self.database, step)
            except self.error:
                time.sleep(_POLL)
                continue
            while self._election_timer(leader) not in (step, None) and time.monotonic() < deadline:
                time.sleep(_POLL)

    def _election_timer(self, i: int) -> int | None:
        """Member ``i``'s election timer in force ("4800 (changing to 5000)" while a change is
        being committed: 4800); None if ``i`` does not answer (start over with the next leader)."""
        try:
            return int(self.status(i).get("Election timer", "0").split()[0])
        except self.error:
            return None

    # ------------------------------------------------------------------ clients

    def client(self, *args: object, timeout: float = COMMAND_TIMEOUT) -> str:
        """``ovsdb-client --timeout=T ARGS``; return stdout. ARGS name the server, e.g.
        ``client("dump", cluster.remote(1), "VTAP")``; given a comma-separated list,
        ``ovsdb-client`` connects to the leader (a paused member in the list may stall it)."""
        argv = ["ovsdb-client", f"--timeout={max(1, int(timeout))}", *args]
        return run(argv, self.env, timeout=timeout + 2, error=self.error).stdout

    def transact(self, operations: Sequence[dict[str, Any]], member: int | None = None,
                 timeout: float = COMMAND_TIMEOUT) -> list[dict[str, Any]]:
        """Run an OVSDB transaction (``operations`` of RFC 7047 §5.2) on the database; return
        its results. Through ``member`` if given (a follower passes a write to the leader),
        else through whichever running, unpaused member leads. Raise if an operation failed."""
        if member is not None:
            server = self.remote(member)
        else:
            server = ",".join(self.remote(i) for i in self._live())
            if not server:
                raise self.error("no member is running and unpaused")
        results = json.loads(self.client("transact", server, json.dumps([self.database, *operations]),
                                         timeout=timeout))
        failed = [r for r in results if isinstance(r, dict) and "error" in r]
        if failed:
            raise self.error(f"transaction on {server} failed: {failed}")
        return results

    def select(self, table: str, member: int | None = None, where: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of ``table`` matching ``where`` (all by default), as member ``member`` (or the
        leader) has them."""
        return self.transact([{"op": "select", "table": table, "where": list(where)}], member)[0]["rows"]


# ---------------------------------------------------------------------------- command line

def main(argv: Sequence[str] | None = None) -> int:
    """``start DIR [--members N] [--schema PATH] [--election-timer MS]``, ``stop DIR``."""
    parser = argparse.ArgumentParser(prog="python3 -m vtap.ovsdb_cluster",
                                     description="A private clustered (Raft) ovsdb-server in DIR.")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="create and start the members, print the remotes, return")
    start.add_argument("dir")
    start.add_argument("--members", type=int, default=3, help="how many servers (default 3)")
    start.add_argument("--schema", help="the .ovsschema (default: the tree's schema/vtap.ovsschema)")
    start.add_argument("--election-timer", type=int, metavar="MS", help="election timer (default: OVS's 1000 ms)")
    commands.add_parser("stop", help="stop the members start started (DIR itself is left)").add_argument("dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            cluster = OvsdbCluster(args.schema, args.members, path=args.dir, election_timer_ms=args.election_timer)
            try:
                cluster.start()
            except BaseException:
                cluster.stop()
                raise
            cluster.release()
            print(cluster.remotes)
        elif (Path(args.dir) / STATE_FILE).exists():  # stop; else nothing was started there
            OvsdbCluster.attach(args.dir).stop()
    except (OvsError, FileNotFoundError, ValueError) as e:
        print(f"vtap.ovsdb_cluster {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
