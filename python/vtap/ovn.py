"""A private OVN on one chassis, for trying libvtap beside ovn-controller.

:class:`OvnChassis` starts, in a fresh temporary directory and talking only over unix
sockets in it:

* the OVN central: the Northbound and Southbound ``ovsdb-server`` s (databases created with
  ``ovsdb-tool create`` from ``/usr/share/ovn/ovn-{nb,sb}.ovsschema``) and ``ovn-northd``;
* the chassis: an ``ovsdb-server`` + ``ovs-vswitchd`` with the integration bridge
  ``br-int`` (``datapath_type=netdev``, no kernel module), started by
  :class:`vtap.testbed.Testbed` (with :class:`vtap.sandbox.OvsSandbox`) inside a network
  namespace of its own, and ``ovn-controller`` (``ovn-remote`` the Southbound socket,
  ``ovn-encap-type=geneve``, ``ovn-encap-ip=127.0.0.1``, ``ovn-bridge-datapath-type=netdev``);
* one logical switch with a logical port per VM (``lsp-set-addresses "MAC IP"``), and per
  VM a network namespace whose ``eth0`` is a veth into ``br-int`` with
  ``external_ids:iface-id`` = the logical port's name (and ``attached-mac``), TX checksum
  offload off.

Every process it started is stopped by its pid (checked against its command name, so a
reused pid is never signalled: :class:`vtap.sandbox.Daemons`) and every namespace and veth
removed on every exit path: ``__exit__`` (also after an exception or Ctrl-C), a SIGTERM
(turned into ``KeyboardInterrupt`` when no other handler is installed), garbage collection
and interpreter exit::

    from vtap.ovn import OvnChassis

    with OvnChassis(["vm1", "vm2", "vm3"]) as ovn:
        ovn.vm("vm1").run("ping", "-c1", ovn.vm("vm2").ip)      # through OVN's pipeline
        ovn.nbctl("acl-add", ovn.switch, "to-lport", "1002", 'outport=="vm2" && tcp.dst==22', "drop")
        print(ovn.ofctl("dump-flows", "br-int", "table=0"))
        ovn.restart_controller()                                   # stop by pid, start again

Needs root, iproute2, ethtool, Open vSwitch and OVN (Debian: ``ovn-central``, ``ovn-host``;
no system service of either is used).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
import time
import weakref
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .sandbox import SBIN, Daemons, Lifecycle, interrupt_on_sigterm, ovs_env, run
from .testbed import Testbed, TestbedError, Vm

__all__ = ["OvnChassis", "OvnError", "ovn_installed"]

NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema"
SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema"
#: The integration bridge, as ovn-controller expects it by default.
BRIDGE = "br-int"
#: The programs this module runs besides Open vSwitch's.
PROGRAMS = ("ovn-northd", "ovn-controller", "ovn-nbctl", "ovn-sbctl", "ovn-appctl")


class OvnError(TestbedError):
    """An OVN command failed or OVN did not reach the awaited state in time."""

    __test__ = False


def ovn_installed() -> bool:
    """True when OVN's programs and schemas are installed (and Open vSwitch's daemons)."""
    path = os.environ.get("PATH", "/usr/bin:/bin") + ":" + SBIN
    return (all(shutil.which(p, path=path) for p in (*PROGRAMS, "ovsdb-server", "ovs-vswitchd"))
            and Path(NB_SCHEMA).is_file() and Path(SB_SCHEMA).is_file())


def _cleanup(daemons: Daemons, testbed: Testbed, directory: str, keep: bool) -> None:
    """Stop ovn-controller, the chassis (testbed), ovn-northd and both databases, in that order.

    Module-level so the finalizer holds no reference to the :class:`OvnChassis`.
    """
    daemons.stop("ovn-controller")
    testbed.stop()
    daemons.stop_all()
    if not keep:
        shutil.rmtree(directory, ignore_errors=True)


class OvnChassis(Lifecycle):
    """A private OVN (NB, SB, northd) and one chassis (OVS + ovn-controller) with VMs.

    Parameters:
        vms: VM names, or dicts with ``name`` and optionally ``mac`` and ``ip``. Each VM is a
            logical switch port of the same name. Addresses are assigned in order when not
            given: MAC ``fa:16:3e:00:00:NN``, IP from ``subnet``.
        subnet: the logical switch's network.
        switch: the logical switch's name.
        system_id: the chassis name (``external_ids:system-id``).
        tenant: the tenant of every VM in :meth:`topology_json`.
        keep: leave the OVN directory (databases, logs) behind, for post-mortems; also env
            ``VTAP_KEEP_OVN=1``.

    Attributes:
        dir: the directory of the OVN databases, sockets, pidfiles and logs.
        switch: the logical switch's name.
        chassis: the :class:`vtap.testbed.Node` running ``br-int`` (its ``directory`` holds
            ``br-int.mgmt``, ``db.sock`` and the OVS logs).
        vms: name -> :class:`vtap.testbed.Vm` (``port`` is the VM's ofport on ``br-int``).
        interfaces: VM name -> name of its OVS interface (the host end of its veth).
        pids: ``{"nb", "sb", "ovn-northd", "ovn-controller"}`` -> pid of what is running.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, vms: Iterable[str | Mapping[str, str]], subnet: str = "10.0.0.0/24",
                 switch: str = "ls0", system_id: str = "chassis-1", tenant: str = "t1",
                 keep: bool | None = None):
        net = ipaddress.ip_network(subnet)
        hosts = net.hosts()
        self._specs: list[dict[str, str]] = []
        for index, spec in enumerate(vms, start=1):
            spec = {"name": spec} if isinstance(spec, str) else dict(spec)
            spec.setdefault("mac", f"fa:16:3e:00:{index >> 8:02x}:{index & 0xff:02x}")
            spec.setdefault("ip", str(next(hosts)))
            spec["tenant"] = spec.get("tenant", tenant)
            self._specs.append(spec)
        if not self._specs:
            raise ValueError("an OVN chassis needs at least one VM")
        self.switch = switch
        self.system_id = system_id
        self.keep = keep if keep is not None else os.environ.get("VTAP_KEEP_OVN") == "1"
        self.vms: dict[str, Vm] = {}
        self.interfaces: dict[str, str] = {}
        self.chassis = None
        self._testbed = Testbed({BRIDGE: self._specs}, subnet=subnet, tenant=tenant, forwarding=False)
        self.dir = Path(tempfile.mkdtemp(prefix="vtap-ovn-"))
        self._daemons = Daemons(self.dir, OvnError)
        self.pids = self._daemons.pids
        self._finalizer = weakref.finalize(self, _cleanup, self._daemons, self._testbed, str(self.dir), self.keep)
        self._finalizer.atexit = True

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 30) -> None:
        """Start everything, create the logical switch and its ports, and wait until every
        port is bound to this chassis and ovn-controller has programmed ``br-int``."""
        interrupt_on_sigterm()  # so a SIGTERM cleans up like Ctrl-C
        d = self.dir
        for name, schema in (("nb", NB_SCHEMA), ("sb", SB_SCHEMA)):
            self._run(["ovsdb-tool", "create", f"{d}/{name}.db", schema])
            self._daemons.start(name, ["ovsdb-server", f"--remote=punix:{d}/{name}.sock", f"--unixctl={d}/{name}.ctl",
                                       f"{d}/{name}.db"], self.env)
        self._daemons.start("ovn-northd", ["ovn-northd", f"--ovnnb-db={self.nb}", f"--ovnsb-db={self.sb}",
                                           f"--unixctl={d}/northd.ctl"], self.env, stem="northd")
        self.nbctl("ls-add", self.switch)
        for spec in self._specs:
            self.nbctl("lsp-add", self.switch, spec["name"], "--",
                       "lsp-set-addresses", spec["name"], f"{spec['mac']} {spec['ip']}")
        self._testbed.start()
        self.chassis = self._testbed.nodes[BRIDGE]
        self.vms = dict(self._testbed.vms)
        self.vsctl("set", "Open_vSwitch", ".", f"external_ids:system-id={self.system_id}",
                   f"external_ids:ovn-remote={self.sb}", "external_ids:ovn-encap-type=geneve",
                   "external_ids:ovn-encap-ip=127.0.0.1", "external_ids:ovn-bridge-datapath-type=netdev",
                   f"external_ids:hostname={self.system_id}")
        for vm in self.vms.values():
            # The testbed asked for ofport = the VM's index (ofport_request) and names the veth.
            names = self.vsctl("--bare", "--columns=name", "find", "Interface", f"ofport={vm.port}").split()
            if len(names) != 1:
                raise OvnError(f"no single interface with ofport {vm.port} for {vm.name}: {names}")
            self.interfaces[vm.name] = names[0]
            self.vsctl("set", "Interface", names[0], f"external_ids:iface-id={vm.name}",
                       f"external_ids:attached-mac={vm.mac}")
        self._start_controller()
        self.wait_bound(timeout)

    def stop(self) -> None:
        """Stop every process started, remove namespaces, veths and files. Safe to call twice."""
        self._finalizer()

    def restart_controller(self, wait: bool = True, timeout: float = 30) -> None:
        """Stop ovn-controller by its pid (SIGTERM, as a service stop or upgrade does) and start
        it again on the same databases; with ``wait``, return once every port is bound again
        and ovn-controller has caught up with the Northbound database (``--wait=hv``)."""
        self._daemons.stop("ovn-controller")
        self._start_controller()
        if wait:
            self.wait_bound(timeout)

    def wait_bound(self, timeout: float = 30) -> None:
        """Wait until every VM's Port_Binding names this chassis and ``ovn-nbctl --wait=hv
        sync`` returns (ovn-controller has installed what the Northbound database asks)."""
        deadline = time.monotonic() + timeout
        while True:
            bound = self.bindings()
            if all(bound.get(name) == self.system_id for name in self.vms):
                break
            if time.monotonic() > deadline:
                raise OvnError(f"ports not bound to {self.system_id} after {timeout}s: {bound}")
            time.sleep(0.05)
        self.nbctl(f"--timeout={max(1, int(deadline - time.monotonic()) + 1)}", "--wait=hv", "sync")

    # ------------------------------------------------------------------ what users need

    @property
    def nb(self) -> str:
        """The Northbound database's remote (``unix:DIR/nb.sock``)."""
        return f"unix:{self.dir}/nb.sock"

    @property
    def sb(self) -> str:
        """The Southbound database's remote (``unix:DIR/sb.sock``)."""
        return f"unix:{self.dir}/sb.sock"

    @property
    def target(self) -> str:
        """The OpenFlow target of ``br-int`` (``unix:.../br-int.mgmt``), for vtapctl or vtap.Service."""
        return self.chassis.target

    @property
    def targets(self) -> dict[str, str]:
        """``{"br-int": target}``, for ``vtap.Service`` or ``vtapctl --switch``."""
        return {BRIDGE: self.target}

    @property
    def env(self) -> dict[str, str]:
        """The environment of every command: OVN's directory, and the chassis' directory for
        Open vSwitch (``OVS_RUNDIR``: where ovn-controller finds ``br-int.mgmt``)."""
        env = ovs_env(self.chassis.directory if self.chassis is not None else self.dir)
        for var in ("RUNDIR", "LOGDIR", "DBDIR", "SYSCONFDIR"):
            env[f"OVN_{var}"] = str(self.dir)
        return env

    def vm(self, name: str) -> Vm:
        return self.vms[name]

    def ofport(self, vm: str) -> int:
        """``vm``'s OpenFlow port number on ``br-int``, as OVS reports it
        (``ovs-vsctl get Interface NAME ofport``)."""
        return int(self.vsctl("get", "Interface", self.interfaces[vm], "ofport"))

    def bindings(self) -> dict[str, str]:
        """Logical port -> name of the chassis it is bound to ('' when unbound)."""
        def rows(table: str, columns: str) -> list[list[str]]:
            out = self.sbctl("--format=csv", "--data=bare", "--no-headings", f"--columns={columns}", "list", table)
            return [line.split(",") for line in out.splitlines() if line]

        chassis = dict(rows("Chassis", "_uuid,name"))
        return {port: chassis.get(uuid, "") for port, uuid in rows("Port_Binding", "logical_port,chassis")}

    def topology_json(self) -> dict:
        """``br-int`` and the VMs in libvtap's topology format (``port``: the ofport OVS gave)."""
        dpid = self.vsctl("get", "Bridge", BRIDGE, "datapath_id").strip().strip('"')
        return {
            "switches": [{"name": BRIDGE, "dpid": dpid}],
            "hosts": [{"name": vm.name, "mac": vm.mac, "ip": vm.ip, "switch": BRIDGE, "port": self.ofport(vm.name),
                       "tenant": vm.tenant} for vm in self.vms.values()],
            "links": [],
        }

    # ------------------------------------------------------------------ commands

    def nbctl(self, *args: str) -> str:
        """``ovn-nbctl --db=NB ARGS``; stdout, :class:`OvnError` on failure."""
        return self._run(["ovn-nbctl", f"--db={self.nb}", *args])

    def sbctl(self, *args: str) -> str:
        """``ovn-sbctl --db=SB ARGS``."""
        return self._run(["ovn-sbctl", f"--db={self.sb}", *args])

    def controller_appctl(self, *args: str) -> str:
        """``ovn-appctl -t ovn-controller ARGS`` (e.g. ``recompute``)."""
        return self._run(["ovn-appctl", "-t", f"{self.dir}/ovn-controller.{self.pids['ovn-controller']}.ctl", *args])

    def vsctl(self, *args: str) -> str:
        """``ovs-vsctl`` on the chassis' database."""
        return self._wrap(self.chassis.vsctl, *args)

    def ofctl(self, *args: str) -> str:
        """``ovs-ofctl -O OpenFlow15 ARGS``; ``br-int`` resolves to the chassis' bridge."""
        return self._wrap(self.chassis.ofctl, *args)

    def appctl(self, *args: str) -> str:
        """``ovs-appctl`` to the chassis' ovs-vswitchd (e.g. ``ofproto/trace br-int ...``)."""
        return self._wrap(self.chassis.appctl, *args)

    # ------------------------------------------------------------------ internals

    def _start_controller(self) -> None:
        # ovn-controller finds br-int's management socket in OVS_RUNDIR (the chassis' directory)
        # and puts its control socket, ovn-controller.PID.ctl, in OVN_RUNDIR (23.03 has no --unixctl).
        self._daemons.start("ovn-controller", ["ovn-controller", self.chassis.ovs.db], self.env)

    def _run(self, argv: Sequence[str], timeout: float = 30) -> str:
        return run(argv, self.env, timeout=timeout, error=OvnError).stdout

    @staticmethod
    def _wrap(call, *args: str) -> str:
        try:
            return call(*map(str, args))
        except OvnError:
            raise
        except TestbedError as e:
            raise OvnError(str(e)) from None
