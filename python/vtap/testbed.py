"""A private user-space Open vSwitch testbed: compute nodes and VMs as network namespaces.

Each compute node is its own ``ovsdb-server`` + ``ovs-vswitchd`` (a
:class:`vtap.sandbox.OvsSandbox`: netdev datapath, no kernel module) with ``ovs-vswitchd``
running inside a network namespace of its own, with one integration bridge
named after the node. Each VM is a namespace whose ``eth0`` is a veth into its node's
bridge. Several nodes are joined by VXLAN tunnels over a veth underlay (OVS user-space
tunnelling: the underlay address sits on a ``br-phy`` bridge in each node). Everything is
stopped and removed on exit, also after a failure or Ctrl-C::

    from vtap.testbed import Testbed

    with Testbed({"node1": ["vm1", "vm4"], "node2": ["vm2", "vm3"]}) as tb:
        tb.vm("vm1").run("ping", "-c1", tb.vm("vm2").ip)
        service = vtap.Service(tb.topology, tb.targets, vtap.native_transport())

Needs root, iproute2, ethtool and Open vSwitch's programs.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .sandbox import Lifecycle, OvsError, OvsSandbox, interrupt_on_sigterm, run

__all__ = ["Testbed", "TestbedError", "Vm", "Node"]


class TestbedError(OvsError):
    """A command the testbed ran failed; the message has its output."""

    __test__ = False  # not a pytest test class


def _run(argv: Sequence[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return run(argv, check=check, timeout=timeout, error=TestbedError)


@dataclass
class Vm:
    """A VM: a network namespace with ``eth0`` on its node's bridge."""

    name: str
    mac: str
    ip: str
    node: str
    port: int
    tenant: str
    namespace: str

    def run(self, *argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run a command inside the VM's namespace."""
        return _run(["ip", "netns", "exec", self.namespace, *argv], check=check, timeout=timeout)

    def popen(self, *argv: str, **kwargs) -> subprocess.Popen:
        """Start a command inside the VM's namespace (the caller stops it)."""
        return subprocess.Popen(["ip", "netns", "exec", self.namespace, *argv], **kwargs)

    def external_ids(self) -> list[str]:
        """The Interface's ``external_ids`` that mark it as this VM, as Neutron/Nova do and
        OVSDB discovery reads them (``attached-mac``, ``iface-id``, ``ip``, ``tenant``), as
        ``ovs-vsctl set interface`` arguments."""
        return [f"external_ids:attached-mac={self.mac}", f"external_ids:iface-id={self.name}",
                f"external_ids:ip={self.ip}", f"external_ids:tenant={self.tenant}"]


@dataclass
class Node:
    """A compute node: its namespace and its Open vSwitch (:class:`vtap.sandbox.OvsSandbox`,
    ``ovs-vswitchd`` inside the namespace) with the integration bridge named after the node."""

    name: str
    namespace: str
    ovs: OvsSandbox
    dpid: int
    underlay_ip: str | None = None

    @property
    def directory(self) -> Path:
        """The node's Open vSwitch directory (database, sockets, logs)."""
        return self.ovs.dir

    @property
    def pids(self) -> dict[str, int]:
        return self.ovs.pids

    @property
    def env(self) -> dict[str, str]:
        return self.ovs.env

    @property
    def target(self) -> str:
        """The OpenFlow target of the node's bridge."""
        return self.ovs.mgmt(self.name)

    def vsctl(self, *args: str) -> str:
        return self.ovs.vsctl(*args)

    def ofctl(self, *args: str) -> str:
        """``ovs-ofctl`` (``-O OpenFlow15`` unless ARGS has ``-O``)."""
        return self.ovs.ofctl(*args)

    def appctl(self, *args: str) -> str:
        return self.ovs.appctl(*args)


def _cleanup(nodes: list[Node], namespaces: list[str], links: list[str], root: str) -> None:
    for node in nodes:
        node.ovs.stop()
    for link in links:
        subprocess.run(["ip", "link", "del", link], capture_output=True)
    for ns in reversed(namespaces):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


class Testbed(Lifecycle):
    """Compute nodes and their VMs on private user-space Open vSwitch instances.

    Parameters:
        nodes: node name -> VM names, or dicts with ``name`` and optionally ``mac``, ``ip``
            (an address in ``subnet``) and ``tenant``. Node names are the switch names
            of the topology.
        subnet: the VMs' network (addresses assigned in order when not given).
        tenant: the tenant of VMs that do not name one.
        forwarding: install plain L2 forwarding (``dl_dst`` -> port, toward other nodes
            through the tunnel) at priority 10, below libvtap's rules, so VMs can talk.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, nodes: Mapping[str, Iterable[str | Mapping[str, str]]], subnet: str = "10.0.0.0/24",
                 tenant: str = "t1", forwarding: bool = True):
        if not nodes:
            raise ValueError("a testbed needs at least one node")
        self._spec = {name: list(vms) for name, vms in nodes.items()}
        self._subnet = ipaddress.ip_network(subnet)
        self._tenant = tenant
        self._forwarding = forwarding
        self._tag = f"vtb{os.getpid() % 10000}{next(_counter)}"
        self._root = tempfile.mkdtemp(prefix=f"{self._tag}-")
        self.nodes: dict[str, Node] = {}
        self.vms: dict[str, Vm] = {}
        self.links: list[tuple[str, int, str, int]] = []  # node, ofport, node, ofport
        self._namespaces: list[str] = []
        self._veths: list[str] = []
        self._started: list[Node] = []
        # Runs once: on stop(), when garbage collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, _cleanup, self._started, self._namespaces, self._veths, self._root)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start every node, the underlay and tunnels, and the VMs."""
        interrupt_on_sigterm()  # so a SIGTERM cleans up like Ctrl-C
        for i, name in enumerate(self._spec, start=1):
            namespace = self._netns(f"n{i}")
            _run(["ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up"])
            # User-space only, real devices (veth), the namespace's routes for VXLAN.
            ovs = OvsSandbox(path=Path(self._root) / name, dummy=None, netns=namespace, error=TestbedError)
            node = Node(name, namespace, ovs, dpid=i)
            self._started.append(node)
            self.nodes[name] = node
            ovs.start()
            ovs.add_bridge(name, dpid=i)  # netdev datapath, fail_mode=secure, OpenFlow 1.3-1.5
            # The node's name, as OVSDB discovery (vtapctl discover, serve --db) reads it.
            node.vsctl("set", "Open_vSwitch", ".", f"external_ids:hostname={name}")
        if len(self.nodes) > 1:
            self._underlay()
        hosts = iter(self._subnet.hosts())
        index = 0
        for node_name, vms in self._spec.items():
            for port, spec in enumerate(vms, start=1):
                index += 1
                spec = {"name": spec} if isinstance(spec, str) else dict(spec)
                vm = Vm(spec["name"], spec.get("mac", f"fa:16:3e:00:{index >> 8:02x}:{index & 0xff:02x}"),
                        spec.get("ip", str(next(hosts))), node_name, port, spec.get("tenant", self._tenant),
                        namespace="")
                self._add_vm(vm)
        if self._forwarding:
            self._install_forwarding()

    def stop(self) -> None:
        """Stop every daemon, remove namespaces, links and files. Safe to call twice."""
        self._finalizer()

    # ------------------------------------------------------------------ what users need

    def vm(self, name: str) -> Vm:
        return self.vms[name]

    @property
    def targets(self) -> dict[str, str]:
        """Switch name -> OpenFlow target, for ``vtap.Service`` or ``vtapctl --switch``."""
        return {name: node.target for name, node in self.nodes.items()}

    def topology_json(self) -> dict:
        """The topology in libvtap's JSON format."""
        return {
            "switches": [{"name": n, "dpid": f"{node.dpid:016x}"} for n, node in self.nodes.items()],
            "hosts": [{"name": vm.name, "mac": vm.mac, "ip": vm.ip, "switch": vm.node, "port": vm.port,
                       "tenant": vm.tenant} for vm in self.vms.values()],
            "links": [{"a": {"switch": a, "port": pa}, "b": {"switch": b, "port": pb}} for a, pa, b, pb in self.links],
        }

    @property
    def topology(self):
        """The matching :class:`vtap.Topology`."""
        from . import Topology  # the native module; testbed itself needs only Python

        path = Path(self._root) / "topology.json"
        path.write_text(json.dumps(self.topology_json()))
        return Topology.load(str(path))

    # ------------------------------------------------------------------ building

    def _netns(self, suffix: str) -> str:
        ns = f"{self._tag}-{suffix}"
        _run(["ip", "netns", "add", ns])
        self._namespaces.append(ns)
        return ns

    def _underlay(self) -> None:
        """A veth from every node to an underlay namespace bridging them; VXLAN full mesh."""
        hub = self._netns("ul")
        _run(["ip", "-n", hub, "link", "add", "ul", "type", "bridge"])
        _run(["ip", "-n", hub, "link", "set", "ul", "up"])
        names = list(self.nodes)
        for i, name in enumerate(names, start=1):
            node = self.nodes[name]
            node.underlay_ip = f"172.31.255.{i}"
            _run(["ip", "-n", hub, "link", "add", f"ul{i}", "type", "veth", "peer", "name", "eth1", "netns", node.namespace])
            _run(["ip", "-n", hub, "link", "set", f"ul{i}", "master", "ul", "up"])
            mac = _run(["ip", "netns", "exec", node.namespace, "cat", "/sys/class/net/eth1/address"]).stdout.strip()
            node.vsctl("add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev",
                       f"other-config:hwaddr={mac}", "--", "add-port", "br-phy", "eth1")
            for cmd in (["link", "set", "eth1", "up"], ["addr", "add", f"{node.underlay_ip}/24", "dev", "br-phy"],
                        ["link", "set", "br-phy", "up"]):
                _run(["ip", "-n", node.namespace, *cmd])
            _run(["ip", "netns", "exec", node.namespace, "ethtool", "-K", "eth1", "tx", "off"], check=False)
            # So that OVSDB discovery pairs the tunnel ports into links.
            node.vsctl("set", "Open_vSwitch", ".", f"external_ids:vtap-local-ip={node.underlay_ip}")
        # Tunnel ports numbered 100 + peer index; each is a point-to-point link.
        for i, a in enumerate(names, start=1):
            for j, b in enumerate(names, start=1):
                if i >= j:
                    continue
                for (x, y, port_x) in ((a, b, 100 + j), (b, a, 100 + i)):
                    self.nodes[x].vsctl("add-port", x, f"vx-{y}", "--", "set", "interface", f"vx-{y}", "type=vxlan",
                                        f"options:remote_ip={self.nodes[y].underlay_ip}", f"ofport_request={port_x}")
                self.links.append((a, 100 + j, b, 100 + i))

    def _add_vm(self, vm: Vm) -> None:
        node = self.nodes[vm.node]
        vm.namespace = self._netns(vm.name)
        veth = f"{self._tag}v{len(self.vms)}"  # by index: names may share a long prefix
        _run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", vm.namespace])
        _run(["ip", "link", "set", veth, "netns", node.namespace])
        ns = ["ip", "-n", vm.namespace]
        _run([*ns, "link", "set", "eth0", "address", vm.mac])
        _run([*ns, "addr", "add", f"{vm.ip}/{self._subnet.prefixlen}", "dev", "eth0"])
        _run([*ns, "link", "set", "eth0", "up"])
        _run([*ns, "link", "set", "lo", "up"])
        _run(["ip", "netns", "exec", vm.namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        # TX checksum offload off, or TCP through the user-space datapath fails.
        _run(["ip", "netns", "exec", vm.namespace, "ethtool", "-K", "eth0", "tx", "off"])
        # The node's end sends no IPv6 router solicitations into the VM either.
        _run(["ip", "netns", "exec", node.namespace, "sysctl", "-qw", f"net.ipv6.conf.{veth}.disable_ipv6=1"])
        _run(["ip", "-n", node.namespace, "link", "set", veth, "up"])
        node.vsctl("add-port", vm.node, veth, "--", "set", "interface", veth, f"ofport_request={vm.port}",
                   *vm.external_ids())
        self.vms[vm.name] = vm

    def _install_forwarding(self) -> None:
        """Static neighbours in every VM, and ``dl_dst`` forwarding at priority 10."""
        for vm in self.vms.values():
            for other in self.vms.values():
                if other is not vm:
                    _run(["ip", "-n", vm.namespace, "neigh", "replace", other.ip, "lladdr", other.mac, "dev", "eth0"])
        toward = {(a, b): pa for a, pa, b, _ in self.links} | {(b, a): pb for a, _, b, pb in self.links}
        for name, node in self.nodes.items():
            flows = []
            for vm in self.vms.values():
                out = vm.port if vm.node == name else toward[(name, vm.node)]
                flows.append(f"priority=10,dl_dst={vm.mac},actions=output:{out}")
            path = node.directory / "forwarding.flows"
            path.write_text("\n".join(flows) + "\n")
            node.ofctl("--bundle", "add-flows", name, str(path))


def _counter_gen():
    n = 0
    while True:
        n += 1
        yield n


_counter = _counter_gen()
