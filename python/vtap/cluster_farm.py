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
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Sequence

from ._daemons import Lifecycle, OvsError
from .ovsdb_cluster import OvsdbCluster
from .sandbox import OvsSandbox, stop_child

__all__ = ["ClusterFarm", "vm_mac", "vm_ip", "TOKENS", "ADMIN"]

#: Tokens of every vtapd the farm starts: an administrator and two tenants.
TOKENS = {"admin-token-0001": "*", "tenant-a-token-01": "t1", "tenant-b-token-02": "t2"}
ADMIN = "admin-token-0001"


def vm_mac(node: int, vm: int) -> str:
    return f"fa:00:00:00:{node:02x}:{vm:02x}"


def vm_ip(node: int, vm: int) -> str:
    return f"10.1.{node}.{vm}"


class _Process:
    """A vtapctl daemon with its log; stopped (SIGTERM, then SIGKILL) by :func:`stop_child`."""

    def __init__(self, argv: Sequence[str], log: Path):
        self.argv = list(argv)
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None:
            stop_child(self.proc)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, pattern: str, timeout: float = 30.0, after: int = 0) -> str:
        """The first line (of the log past offset ``after``) matching ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.text()[after:].splitlines():
                if re.search(pattern, line):
                    return line
            if self.proc is None or self.proc.poll() is not None:
                raise OvsError(f"{self.argv[1]} exited:\n{self.text()[-3000:]}")
            if time.monotonic() > deadline:
                raise OvsError(f"{self.argv[1]} did not print {pattern!r} in {timeout}s:\n{self.text()[-3000:]}")
            time.sleep(0.05)


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
        self.agents: dict[int, _Process] = {}
        self.vtapds: list[_Process] = []
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
            self.agents[i].start()
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

    def _agent(self, i: int) -> _Process:
        node = self.nodes[i]
        return _Process([self.vtapctl, "agent", "--db", self.cluster.remotes, "--ovsdb", node.db,
                         "--switch", f"br-int={node.mgmt('br-int')}", *self.agent_args, *self.translator_args],
                        self.dir / f"agent{i}.log")

    # ---------------------------------------------------------------- parts

    def start_vtapd(self) -> str:
        """Starts one more vtapd on the cluster; returns its API URL."""
        k = len(self.vtapds)
        p = _Process([self.vtapctl, "serve", "--store", f"ovsdb:{self.cluster.remotes}",
                      "--unixctl", str(self.dir / f"vtapd{k}.ctl"), "--listen", "127.0.0.1:0",
                      "--tokens", str(self.tokens), *self.translator_args], self.dir / f"vtapd{k}.log")
        p.start()
        self.vtapds.append(p)
        url = re.search(r"API on (http://\S+)", p.wait_for(r"API on http://")).group(1)
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
