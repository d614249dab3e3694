"""A scaled-out libvtap on one machine: a clustered VTAP database, N compute nodes (each a
private Open vSwitch with ``br-int``, VM ports and tunnels to every other node) with one
``vtapctl agent`` each, and any number of ``vtapctl serve --store ovsdb:...`` (vtapd).

For tests and benchmarks (``bench/cluster.py``); every process is stopped on every exit path.
Node ``i`` (from 1) is named ``nodeI``, its bridge ``br-int`` (datapath id ``i``), its VMs
``vmI-1``... on ports 1... (MAC ``fa:00:00:00:II:0V``, IP ``10.1.I.V``, tenant ``t1`` for odd V,
``t2`` for even V), and its tunnel toward node ``j`` is port ``100 + j`` (``type=vxlan``,
``options:remote_ip=10.0.0.J``; the node's own address is ``external_ids:vtap-local-ip``).
With the sandbox's default ``dummy="override"`` every port is a dummy netdev: frames are
injected with :meth:`OvsSandbox.send` and captured per port.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Sequence

from ._daemons import Lifecycle, OvsError
from .ovsdb_cluster import OvsdbCluster
from .sandbox import LoggedProcess, OvsSandbox

__all__ = ["ClusterFarm", "request", "tap", "atoms", "owned_state", "compiled_states", "vm_mac", "vm_ip",
           "TOKENS", "ADMIN", "OWNED"]

#: The cookie match of every libvtap rule (``ovs-ofctl dump-flows BRIDGE OWNED``).
OWNED = "cookie=0x7674000000000000/0xffff000000000000"
#: Tokens of every vtapd the farm starts: an administrator and two tenants.
TOKENS = {"admin-token-0001": "*", "tenant-a-token-01": "t1", "tenant-b-token-02": "t2"}
ADMIN = "admin-token-0001"


def request(url: str, method: str, path: str, body: Any = None, token: str = ADMIN) -> tuple[int, Any]:
    """One API call: (status, the JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as reply:
            text = reply.read()
            return reply.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


def tap(sender: tuple[int, int], receiver: tuple[int, int], monitor: tuple[int, int], tenant: str = "t1",
        filter: str | None = None) -> dict:
    """A policy between farm VMs given as (node, vm)."""
    p: dict[str, Any] = {"tenant": tenant, "sender": {"mac": vm_mac(*sender)},
                         "receiver": {"mac": vm_mac(*receiver)}, "monitor": {"mac": vm_mac(*monitor)}}
    if filter:
        p["filter"] = filter
    return p


def vm_mac(node: int, vm: int) -> str:
    return f"fa:00:00:00:{node:02x}:{vm:02x}"


def vm_ip(node: int, vm: int) -> str:
    return f"10.1.{node}.{vm}"


class ClusterFarm(Lifecycle):
    """``nodes`` compute nodes with ``vms`` VM ports each, a ``members``-server VTAP cluster and
    one agent per node. :meth:`start_vtapd` adds API servers. ``agent_args``/``translator_args``
    are passed to every agent (and the latter to every vtapd)."""

    def __init__(self, vtapctl: str | os.PathLike, nodes: int = 3, vms: int = 2, members: int = 3,
                 directory: str | None = None, translator_args: Sequence[str] = (),
                 agent_args: Sequence[str] = ("--interval=1000",), keep: bool | None = None):
        self.vtapctl = str(vtapctl)
        self.n_nodes, self.n_vms = nodes, vms
        self.dir = Path(tempfile.mkdtemp(prefix="vtap-farm-", dir=directory))
        self.translator_args = list(translator_args)
        self.agent_args = list(agent_args)
        self.keep = keep
        self.cluster = OvsdbCluster(members=members, directory=str(self.dir), keep=keep)
        self.nodes: dict[int, OvsSandbox] = {}
        self.agents: dict[int, LoggedProcess] = {}
        self.vtapds: list[LoggedProcess] = []
        self.urls: list[str] = []
        self.tokens = self.dir / "tokens.json"
        self.tokens.write_text(json.dumps(TOKENS))

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self.cluster.start()
        for i in range(1, self.n_nodes + 1):
            self.nodes[i] = self._start_node(i)
        for i in self.nodes:
            self.agents[i] = self._agent(i)
        for i in self.nodes:
            self.agents[i].wait_for(r"published node")

    def stop(self) -> None:
        for p in [*self.vtapds, *self.agents.values()]:
            p.stop()
        for node in self.nodes.values():
            node.stop()
        self.cluster.stop()
        if not (self.keep or os.environ.get("VTAP_KEEP_OVS") == "1"):
            import shutil  # noqa: PLC0415
            shutil.rmtree(self.dir, ignore_errors=True)

    def _start_node(self, i: int) -> OvsSandbox:
        node = OvsSandbox(directory=str(self.dir))
        node.start()
        node.vsctl("set", "Open_vSwitch", ".", f"external_ids:hostname=node{i}",
                   f"external_ids:vtap-local-ip=10.0.0.{i}")
        node.add_bridge("br-int", i)
        args: list[str] = []
        for v in range(1, self.n_vms + 1):
            tenant = "t1" if v % 2 else "t2"
            args += ["--", "add-port", "br-int", f"vm{i}-{v}", "--", "set", "Interface", f"vm{i}-{v}", "type=dummy",
                     f"ofport_request={v}", f"external_ids:attached-mac={vm_mac(i, v)}",
                     f"external_ids:iface-id=vm{i}-{v}", f"external_ids:ip={vm_ip(i, v)}",
                     f"external_ids:tenant={tenant}"]
        for j in range(1, self.n_nodes + 1):
            if j != i:
                args += ["--", "add-port", "br-int", f"tun{j}", "--", "set", "Interface", f"tun{j}", "type=vxlan",
                         f"options:remote_ip=10.0.0.{j}", f"ofport_request={100 + j}"]
        node.vsctl(*args[1:])
        for v in range(1, self.n_vms + 1):
            node.capture(f"vm{i}-{v}")
        for j in range(1, self.n_nodes + 1):
            if j != i:
                node.capture(f"tun{j}")
        return node

    def _agent(self, i: int) -> LoggedProcess:
        node = self.nodes[i]
        return LoggedProcess([self.vtapctl, "agent", "--db", self.cluster.remotes, "--ovsdb", node.db,
                              "--switch", f"br-int={node.mgmt('br-int')}", *self.agent_args, *self.translator_args],
                             self.dir / f"agent{i}.log")

    # ---------------------------------------------------------------- parts

    def start_vtapd(self) -> str:
        """Starts one more vtapd on the cluster; returns its API URL."""
        k = len(self.vtapds)
        p = LoggedProcess([self.vtapctl, "serve", "--store", f"ovsdb:{self.cluster.remotes}",
                           "--unixctl", str(self.dir / f"vtapd{k}.ctl"), "--listen", "127.0.0.1:0",
                           "--tokens", str(self.tokens), *self.translator_args], self.dir / f"vtapd{k}.log")
        self.vtapds.append(p)
        url = p.wait_for(r"API on (http://\S+)").group(1)
        self.urls.append(url)
        return url

    def restart_agent(self, i: int) -> int:
        """Starts node ``i``'s agent again (after :meth:`kill_agent`); returns the log offset
        its new lines start at."""
        offset = len(self.agents[i].text())
        self.agents[i].start()
        return offset

    def kill_agent(self, i: int) -> None:
        self.agents[i].kill()

    def switch_name(self, i: int) -> str:
        return f"node{i}.br-int"

    def stream(self, urls: Sequence[str], changes: int = 200, kill_at: int | None = 60,
               restart_at: int | None = 120, seed: int = 15,
               latencies: list[float] | None = None) -> dict[int, dict]:
        """Sends ``changes`` random creates, modifies and removes (policies between VM 1 of three
        distinct nodes) through ``urls`` in turn, killing the Raft leader before change
        ``kill_at`` and restarting it before ``restart_at``. Raises OvsError on a refused
        change; returns the acknowledged policies by id. Each change's wall time in seconds is
        appended to ``latencies`` when given."""
        rng = random.Random(seed)
        expected: dict[int, dict] = {}
        killed = None
        for n in range(changes):
            if n == kill_at:
                killed = self.cluster.leader()
                self.cluster.kill(killed)
            if n == restart_at and killed is not None:
                self.cluster.restart(killed)
            url = urls[n % len(urls)]
            op = rng.choice(["add", "add", "modify", "remove"]) if expected else "add"
            a, b, c = rng.sample(range(1, self.n_nodes + 1), 3)
            body = tap((a, 1), (b, 1), (c, 1), filter=rng.choice([None, "tcp,tp_dst=80", "udp", "icmp"]))
            pid = rng.choice(sorted(expected)) if expected else 0
            start = time.monotonic()
            if op == "add":
                status, reply = request(url, "POST", "/v1/policies", body)
            elif op == "modify":
                status, reply = request(url, "PUT", f"/v1/policies/{pid}", body)
            else:
                status, reply = request(url, "DELETE", f"/v1/policies/{pid}")
            if status not in (200, 201, 204):
                raise OvsError(f"change {n} ({op} through {url}): {status} {reply}")
            if latencies is not None:
                latencies.append(time.monotonic() - start)
            if op == "remove":
                del expected[pid]
            else:
                expected[reply["id"]] = reply
        return expected

    # ---------------------------------------------------------------- oracles

    def dump(self, i: int, bridge: str = "br-int") -> tuple[list[str], list[str], list[str]]:
        """Node ``i``'s libvtap flows (by cookie), groups and meters: :func:`owned_state`."""
        return owned_state(self.nodes[i], bridge)

    def compiled(self, topology: str, policies: str, workdir: str | os.PathLike) -> dict[int, tuple]:
        """:func:`compiled_states` of every node: the oracle of what the agents install."""
        return compiled_states(self.vtapctl, self.cluster, topology, policies,
                               {i: (node, self.switch_name(i)) for i, node in self.nodes.items()}, workdir)

    def wait_settled(self, timeout: float = 60.0) -> None:
        """Waits until every policy row is settled (``commit``, no previous version) and every
        node it touches has applied its generation."""
        deadline = time.monotonic() + timeout
        while True:
            applied = {row["_uuid"][1]: row["applied"] for row in self.cluster.select("Node_Status")}
            nodes = {row["name"]: applied[row["status"][1]] for row in self.cluster.select("Node")}
            pending = [row for row in self.cluster.select("Policy")
                       if row["phase"] != "commit" or row["previous"] != "" or row["spec"] == ""
                       or any(nodes.get(n, 0) < row["generation"] for n in atoms(row["nodes"]))]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise OvsError(f"policies not settled after {timeout}s: {pending}")
            time.sleep(0.2)


def atoms(value) -> list:
    """An OVSDB set as a list (a one-element set comes as the bare atom)."""
    return value[1] if isinstance(value, list) and len(value) == 2 and value[0] == "set" else [value]


def owned_state(ovs: OvsSandbox, bridge: str) -> tuple[list[str], list[str], list[str]]:
    """A bridge's libvtap flows (by cookie), groups and meters, sorted, without counters."""
    flows = ovs.ofctl("-O", "OpenFlow15", "--no-stats", "--sort", "dump-flows", bridge, OWNED).splitlines()
    groups = ovs.ofctl("-O", "OpenFlow15", "dump-groups", bridge).splitlines()[1:]
    meters = ovs.ofctl("-O", "OpenFlow15", "dump-meters", bridge).splitlines()[1:]
    return sorted(flows), sorted(g.strip() for g in groups), sorted(m.strip() for m in meters)


def compiled_states(vtapctl: str | os.PathLike, cluster: OvsdbCluster, topology: str, policies: str,
                    switches: dict[Any, tuple[OvsSandbox, str]], workdir: str | os.PathLike) -> dict[Any, tuple]:
    """What ``vtapctl compile`` gives for ``policies`` (a policy file's text) on ``topology`` (a
    topology file's text) with the marks of ``cluster``'s Mark table: for each key of
    ``switches`` (an Open vSwitch and the switch's name in the topology), that switch's part
    loaded by ``ovs-ofctl`` into a scratch bridge of the same Open vSwitch and dumped like
    :func:`owned_state`."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "topology.json").write_text(topology)
    (work / "policies.json").write_text(policies)
    marks = {row["stream"]: row["vlan"] for row in cluster.select("Mark")}
    (work / "marks.json").write_text(json.dumps(marks))
    out = work / "out"
    subprocess.run([str(vtapctl), "compile", "--topology", work / "topology.json", "--policies",
                    work / "policies.json", "--assigned-marks", work / "marks.json", "--out", out],
                   check=True, capture_output=True, timeout=120)
    states = {}
    for n, (key, (ovs, name)) in enumerate(switches.items(), start=1):
        ovs.add_bridge("ref", 0xfff0 + n)
        try:
            ovs.load("ref", out / f"{name}.groups", out / f"{name}.flows", out / f"{name}.meters")
            states[key] = owned_state(ovs, "ref")
        finally:
            ovs.vsctl("del-br", "ref")
    return states
