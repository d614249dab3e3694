"""A private Open vSwitch: the one launcher of ``ovsdb-server`` and ``ovs-vswitchd``.

Tests, benchmarks, the notebooks' experiments, :mod:`vtap.testbed`, :mod:`vtap.ovn`,
``scripts/demo.sh`` and the C++ tests (``tests/cpp/ovs_process.hpp``) all start Open vSwitch
here, with the same daemon options, and stop it the same way. Nothing of a system Open
vSwitch is used: :class:`OvsSandbox` creates a database in a private directory (also the
daemons' ``OVS_RUNDIR``, ``OVS_LOGDIR``, ``OVS_DBDIR`` and ``OVS_SYSCONFDIR``: sockets,
pidfiles, logs and the bridges' ``BRIDGE.mgmt`` OpenFlow sockets are all there) and starts
``ovs-vswitchd`` user space only (``--disable-system``: no kernel datapath) in one of three
modes:

``dummy="override"`` (default; deterministic tests)
    ``--enable-dummy=override --disable-system-route``: every netdev, even ``vxlan``, is a
    dummy netdev and the kernel's routing table is not read, so nothing real can be touched.
    Bridges use the ``dummy`` datapath, ports are ``type=dummy``:

    * a frame is injected "as received on port P" with ``ovs-appctl netdev-dummy/receive P
      HEX`` (:meth:`OvsSandbox.send`);
    * whatever the switch *transmits* on a port is appended to a pcap file set with the dummy
      netdev option ``options:tx_pcap=FILE`` (``options:pcap`` would also record the frames
      injected on that port); OVS ``fflush``\\ es the file after every packet, so
      :meth:`OvsSandbox.packets_out` reads complete records.
``dummy="tunnels"``
    ``--enable-dummy --disable-system-route`` (as OVS's own testsuite): tunnel ports are real
    vports doing native tunnelling on the dummy datapath (:meth:`OvsSandbox.add_underlay`);
    real devices (veth) can be added as ports of a ``netdev`` bridge too.
``dummy=None`` (network namespaces as VMs)
    no dummy netdevs, the kernel's routes are read: ``netdev`` bridges with veth ports and
    VXLAN over them. With ``netns=NS`` ``ovs-vswitchd`` runs inside network namespace NS
    (``ip netns exec``; ``ovsdb-server`` stays outside, on its unix socket).

Example::

    with OvsSandbox() as ovs:
        ovs.add_bridge("s1", dpid=1)
        ovs.add_port("s1", "p1", 1)
        ovs.add_port("s1", "p2", 2)
        ovs.ofctl("add-flow", "s1", "in_port=1,actions=output:2")
        ovs.send("p1", bytes(scapy_frame))
        assert ovs.packets_out("p2") == [bytes(scapy_frame)]

Every daemon is stopped by its pid, and only while that pid still is the program that was
started (never a reused pid): on ``__exit__`` (also after an exception or Ctrl-C), on a
SIGTERM (turned into ``KeyboardInterrupt`` in the main thread when no other handler is set:
:func:`interrupt_on_sigterm`), by a ``weakref.finalize`` safety net when the object is
collected, and at interpreter exit. :class:`Daemons` does the same for any daemon of the
Open vSwitch family (``vtap.ovn`` runs its databases, ``ovn-northd`` and ``ovn-controller``
through it).

The same from a shell or another language (this file and the process helpers it imports from
``_daemons.py`` beside it need only Python's standard library, so ``python3
python/vtap/sandbox.py ...`` works from a source tree without a build)::

    python3 -m vtap.sandbox start DIR [--dummy override|tunnels|none] [--netns NS]
    python3 -m vtap.sandbox add-bridge DIR NAME DPID [--datapath-type TYPE]
    python3 -m vtap.sandbox restart-vswitchd DIR   # kill -9 ovs-vswitchd, start it again
    python3 -m vtap.sandbox stop DIR               # stop what start started (DIR is left)

``start`` records its options in ``DIR/sandbox.json``; the other commands read them.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Sequence

# The processes (run, Daemons, Lifecycle, ...) are in _daemons.py; they are imported from here.
if __package__:
    from ._daemons import (COMMAND_TIMEOUT, SBIN, Daemons, Lifecycle, LoggedProcess, OvsError, alive,
                           interrupt_on_sigterm, ovs_env, ovs_installed, run, stop_child, stop_process)
else:  # run as a file (python3 python/vtap/sandbox.py, as the C++ tests do): _daemons.py is beside it
    from _daemons import (COMMAND_TIMEOUT, SBIN, Daemons, Lifecycle, LoggedProcess,  # type: ignore[no-redef]
                          OvsError, alive, interrupt_on_sigterm, ovs_env, ovs_installed, run, stop_child,
                          stop_process)

__all__ = ["OvsSandbox", "OvsError", "Daemons", "Lifecycle", "LoggedProcess", "read_pcap", "run", "ovs_env", "ovs_installed",
           "alive", "stop_process", "stop_child", "interrupt_on_sigterm", "main"]

OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
DEFAULT_PROTOCOLS = "OpenFlow13,OpenFlow14,OpenFlow15"
#: ovs-ofctl speaks this version to the bridges unless a call says otherwise.
OFCTL_VERSION = "OpenFlow15"
DUMMY_MODES = ("override", "tunnels", None)
#: The file in the sandbox directory that records how it was started (for the command line).
STATE_FILE = "sandbox.json"
# The daemons of an OvsSandbox: key (as in OvsSandbox.pids) -> stem of pidfile and log.
_OVSDB, _VSWITCHD = ("ovsdb-server", "ovsdb"), ("ovs-vswitchd", "vswitchd")


def _cleanup(daemons: Daemons, directory: str, remove: bool) -> None:
    """Stop a sandbox's daemons (ovs-vswitchd first) and remove its directory.

    Module-level so the finalizer holds no reference to the sandbox object.
    """
    daemons.stop_all()
    if remove:
        shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------------------- captures

def read_pcap(path: str | os.PathLike) -> list[bytes]:
    """Return the frames of a classic (libpcap) capture file, in order.

    A missing or still empty file gives ``[]``.  A record cut short at the end
    of the file (a writer in the middle of a write) is ignored.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file (magic {magic.hex()})")
    frames = []
    offset = 24
    while offset + 16 <= len(data):
        _sec, _frac, incl_len, _orig_len = struct.unpack_from(endian + "IIII", data, offset)
        offset += 16
        if offset + incl_len > len(data):
            break
        frames.append(data[offset:offset + incl_len])
        offset += incl_len
    return frames


# ---------------------------------------------------------------------------- the sandbox

class OvsSandbox(Lifecycle):
    """A private ovsdb-server + ovs-vswitchd.

    Parameters:
        keep: leave the directory (logs, db, captures) behind after stopping,
            for post-mortem debugging.  Also enabled by env ``VTAP_KEEP_OVS=1``.
        directory: parent directory for the sandbox's temporary directory
            (default: ``$TMPDIR`` or ``/tmp``).  Unix socket paths must stay
            under 108 bytes, so keep it short.
        dummy: ``"override"``, ``"tunnels"`` or ``None``: see the module's description.
        path: use this directory (created if missing) instead of a new temporary one; the
            sandbox then never removes it.
        netns: run ovs-vswitchd inside this (existing) network namespace.
        error: the exception class failed commands raise (:class:`OvsError` or a subclass).

    Attributes:
        dir: the sandbox directory (``OVS_RUNDIR``/``LOGDIR``/``DBDIR``/``SYSCONFDIR``).
        env: the environment every ovs-* command runs with.
        db: the ``--db=`` remote of ovsdb-server.
        pids: ``{"ovsdb-server": pid, "ovs-vswitchd": pid}`` once started.
        datapath_type: what :meth:`add_bridge` uses unless told otherwise: ``dummy``, or
            ``netdev`` with ``dummy=None``.
    """

    def __init__(self, keep: bool | None = None, directory: str | None = None, dummy: str | None = "override",
                 *, path: str | os.PathLike | None = None, netns: str | None = None,
                 error: type[OvsError] = OvsError):
        if dummy not in DUMMY_MODES:
            raise ValueError(f"dummy must be 'override', 'tunnels' or None, not {dummy!r}")
        self.dummy = dummy
        self.netns = netns
        self.error = error
        self.keep = keep if keep is not None else os.environ.get("VTAP_KEEP_OVS") == "1"
        if path is None:
            self.dir = Path(tempfile.mkdtemp(prefix="vtap-ovs-", dir=directory))
        else:
            self.dir = Path(path).absolute()
            self.dir.mkdir(parents=True, exist_ok=True)
        remove = path is None and not self.keep
        if len(str(self.dir / "ovs-vswitchd.4194304.ctl")) > 100:
            if path is None:
                shutil.rmtree(self.dir, ignore_errors=True)
            raise error(f"sandbox path {self.dir} too long for unix sockets")
        self.env = ovs_env(self.dir)
        self.db = f"unix:{self.dir}/db.sock"
        self.datapath_type = "netdev" if dummy is None else "dummy"
        self._daemons = Daemons(self.dir, error)
        self.pids = self._daemons.pids
        self._ports: dict[str, Path] = {}
        self._running = False
        # Safety net: runs at most once, when the object is garbage collected or at
        # interpreter exit (weakref.finalize's atexit hook), unless stop() or release() ran.
        self._finalizer = weakref.finalize(self, _cleanup, self._daemons, str(self.dir), remove)
        self._cleanup_args = (self._daemons, str(self.dir), remove)

    @classmethod
    def attach(cls, path: str | os.PathLike, error: type[OvsError] = OvsError) -> "OvsSandbox":
        """The sandbox another process started in ``path`` (``start DIR`` of the command line),
        with the options recorded there. It is not stopped unless :meth:`stop` is called."""
        try:
            state = json.loads((Path(path) / STATE_FILE).read_text())
        except (OSError, ValueError) as e:
            raise error(f"no sandbox in {path}: {e}") from None
        sandbox = cls(path=path, dummy=state.get("dummy"), netns=state.get("netns"), error=error)
        sandbox.release()
        for key, stem in (_OVSDB, _VSWITCHD):
            sandbox._daemons.adopt(key, key, stem)
        sandbox._running = _VSWITCHD[0] in sandbox.pids
        return sandbox

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Create the database and start ovsdb-server, then ovs-vswitchd."""
        interrupt_on_sigterm()
        d = self.dir
        (d / STATE_FILE).write_text(json.dumps({"dummy": self.dummy, "netns": self.netns}) + "\n")
        run(["ovsdb-tool", "create", f"{d}/conf.db", OVS_SCHEMA], self.env, error=self.error)
        self._daemons.start(_OVSDB[0], ["ovsdb-server", f"--remote=punix:{d}/db.sock", f"{d}/conf.db"], self.env,
                            stem=_OVSDB[1])
        self.vsctl("--no-wait", "init")
        self._start_vswitchd()
        self._running = True
        # ovs-vsctl (without --no-wait) returns once ovs-vswitchd applied the change.
        self.vsctl("set", "Open_vSwitch", ".", "other_config:vtap-sandbox=true")

    def _start_vswitchd(self, retry_running: bool = False) -> None:
        argv = ["ovs-vswitchd", self.db, "--disable-system"]
        if self.dummy is not None:
            argv += ["--enable-dummy=override" if self.dummy == "override" else "--enable-dummy",
                     "--disable-system-route"]
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        self._daemons.start(_VSWITCHD[0], argv, self.env, stem=_VSWITCHD[1], prefix=prefix,
                            retry_running=retry_running)

    def crash_and_restart_vswitchd(self) -> None:
        """``kill -9`` ovs-vswitchd and start it again on the same database, as after a
        crash: bridges come back with no flows, groups or meters."""
        self._daemons.kill(_VSWITCHD[0])
        self._start_vswitchd(retry_running=True)
        self.vsctl("set", "Open_vSwitch", ".", f"other_config:vtap-restarts={time.monotonic()}")

    def stop(self) -> None:
        """Stop ovs-vswitchd, then ovsdb-server; remove the directory unless ``keep`` or
        ``path`` was given. Safe to call twice."""
        self._running = False
        self._finalizer.detach()
        _cleanup(*self._cleanup_args)

    def release(self) -> None:
        """Leave the daemons running when this object goes (``start DIR`` of the command line);
        :meth:`attach` and :meth:`stop` stop them later."""
        self._finalizer.detach()

    # ------------------------------------------------------------------ commands

    def vsctl(self, *args: object) -> str:
        """Run ``ovs-vsctl --db=... ARGS``; return stdout, raise on failure."""
        return run(["ovs-vsctl", f"--db={self.db}", f"--timeout={COMMAND_TIMEOUT}", *args], self.env,
                   error=self.error).stdout

    def ofctl(self, *args: object) -> str:
        """Run ``ovs-ofctl ARGS`` (``-O OpenFlow15`` added unless ARGS has ``-O``).

        Bridge names resolve to the bridge's ``DIR/<bridge>.mgmt`` socket.
        """
        argv = [str(a) for a in args]
        if not any(a == "-O" or a.startswith(("-O", "--protocols")) for a in argv):
            argv = ["-O", OFCTL_VERSION, *argv]
        return run(["ovs-ofctl", *argv], self.env, error=self.error).stdout

    def appctl(self, *args: object, target: str = "ovs-vswitchd") -> str:
        """Run ``ovs-appctl --target=<daemon's control socket> ARGS``."""
        return run(["ovs-appctl", f"--target={self.ctl(target)}", *args], self.env, error=self.error).stdout

    def ctl(self, daemon: str = "ovs-vswitchd") -> str:
        """The control socket of a running daemon (``ovs-appctl --target=``)."""
        if not self._running or daemon not in self.pids:
            raise self.error("sandbox is not running")
        return f"{self.dir}/{daemon}.{self.pids[daemon]}.ctl"

    def mgmt(self, bridge: str) -> str:
        """The OpenFlow target of ``bridge`` (``unix:DIR/BRIDGE.mgmt``), for vtapctl or vtap.Service."""
        return f"unix:{self.dir}/{bridge}.mgmt"

    # ------------------------------------------------------------------ topology

    def add_bridge(self, name: str, dpid: int, datapath_type: str | None = None,
                   protocols: str = DEFAULT_PROTOCOLS) -> None:
        """Add an empty bridge: no controller, ``fail_mode=secure``, no flows at all."""
        self.vsctl("add-br", name, "--", "set", "bridge", name,
                   f"datapath_type={datapath_type or self.datapath_type}", "fail_mode=secure",
                   f"protocols={protocols}", f"other-config:datapath-id={dpid:016x}")
        self.ofctl("del-flows", name)

    def add_port(self, bridge: str, name: str, ofport: int) -> None:
        """Add a ``type=dummy`` port whose transmitted frames are captured."""
        pcap = self.dir / f"{name}.tx.pcap"
        self.vsctl("add-port", bridge, name, "--", "set", "interface", name, "type=dummy",
                   f"ofport_request={ofport}", f"options:tx_pcap={pcap}")
        self.check_ofport(name, ofport)
        self._ports[name] = pcap

    def capture(self, name: str) -> None:
        """Capture what is transmitted on existing dummy port ``name`` (for :meth:`packets_out`)."""
        pcap = self.dir / f"{name}.tx.pcap"
        self.vsctl("set", "interface", name, f"options:tx_pcap={pcap}")
        self._ports[name] = pcap

    def add_patch(self, br_a: str, port_a: str, ofport_a: int,
                  br_b: str, port_b: str, ofport_b: int) -> None:
        """Join two bridges with a patch port pair (``port_a`` on ``br_a`` <-> ``port_b``)."""
        self.vsctl("add-port", br_a, port_a, "--", "set", "interface", port_a, "type=patch",
                   f"ofport_request={ofport_a}", f"options:peer={port_b}",
                   "--", "add-port", br_b, port_b, "--", "set", "interface", port_b,
                   "type=patch", f"ofport_request={ofport_b}", f"options:peer={port_a}")
        self.check_ofport(port_a, ofport_a)
        self.check_ofport(port_b, ofport_b)

    def add_underlay(self, bridge: str, ip_cidr: str, uplink: str, uplink_ofport: int,
                     neighbors: dict[str, str], mac: str = "02:00:00:00:00:fe") -> None:
        """Give tunnel ports (``dummy="tunnels"`` only) somewhere to send from.

        Creates bridge ``bridge`` (MAC ``mac``) whose local port owns
        ``ip_cidr`` (``netdev-dummy/ip4addr``), a route for that subnet through
        it (``ovs/route/add``), static neighbour entries ``{ip: mac}``
        (``tnl/arp/set``, so no ARP round trip is needed) and one
        ``actions=NORMAL`` flow; encapsulated frames leave on the captured
        dummy port ``uplink``.  Without a route OVS reports
        "native tunnel routing failed"; without a neighbour entry it sends an
        ARP request instead of the first packets.
        """
        if self.dummy != "tunnels":
            raise self.error("add_underlay needs OvsSandbox(dummy='tunnels')")
        net = ipaddress.ip_interface(ip_cidr).network
        self.add_bridge(bridge, dpid=0xfe)
        self.vsctl("set", "bridge", bridge, f"other-config:hwaddr={mac}")
        self.add_port(bridge, uplink, uplink_ofport)
        self.appctl("netdev-dummy/ip4addr", bridge, ip_cidr)
        self.appctl("ovs/route/add", str(net), bridge)
        for ip, hw in neighbors.items():
            self.appctl("tnl/arp/set", bridge, ip, hw)
        self.ofctl("add-flow", bridge, "actions=NORMAL")

    def check_ofport(self, name: str, ofport: int) -> None:
        """Raise unless interface ``name`` got OpenFlow port ``ofport`` (with OVS's error)."""
        got = self.vsctl("get", "interface", name, "ofport").strip()
        if got != str(ofport):
            raise self.error(f"port {name}: got ofport {got}, wanted {ofport} "
                             f"(error: {self.vsctl('get', 'interface', name, 'error').strip()})")

    # ------------------------------------------------------------------ traffic

    def send(self, port_name: str, packet: bytes) -> None:
        """Inject ``packet`` as received on dummy port ``port_name``; return when done.

        The datapath flow cache is purged first so the packet meets the current
        OpenFlow tables (an ovs-ofctl change is otherwise applied to cached
        datapath flows asynchronously by the revalidators).  ``netdev-dummy/receive``
        only queues the frame; the main thread of ovs-vswitchd polls the dummy
        ports in its next loop iteration *before* it serves the next control
        request, so one more ovs-appctl round trip means the frame (and every
        copy and patch-port hop it caused) has been written out.
        """
        self.appctl("revalidator/purge")
        self.appctl("netdev-dummy/receive", port_name, bytes(packet).hex())
        self.sync()

    def sync(self) -> None:
        """Return after ovs-vswitchd completed a main-loop iteration (queued rx done)."""
        self.appctl("version")

    def packets_out(self, name: str) -> list[bytes]:
        """Frames ovs-vswitchd has transmitted on port ``name`` so far, in order."""
        return read_pcap(self._ports[name])

    def clear_captures(self) -> None:
        """Forget what was captured so far (truncate every port's capture file)."""
        for pcap in self._ports.values():
            if pcap.exists() and pcap.stat().st_size > 24:
                # Keep the 24-byte global header.  OVS opened the file in
                # append mode, so it continues writing at the new end.
                os.truncate(pcap, 24)

    def trace(self, bridge: str, flow: str) -> str:
        """``ovs-appctl ofproto/trace BRIDGE FLOW`` output."""
        return self.appctl("ofproto/trace", bridge, flow)

    def load(self, bridge: str, groups_file, flows_file, meters_file=None) -> None:
        """Install rule files with ``ovs-ofctl -O OpenFlow15 --bundle``.

        Order: meters (if given), groups, flows, so every reference exists
        before it is used.  Missing or empty files are skipped.  ovs-ofctl 3.1
        has no ``add-meters FILE`` (only ``add-meter SWITCH METER``), so the
        meters file is applied one ``add-meter`` per non-blank, non-``#`` line,
        outside any bundle.
        """
        def nonempty(path) -> bool:
            return path is not None and Path(path).is_file() and Path(path).read_text().strip() != ""

        if nonempty(meters_file):
            for line in Path(meters_file).read_text().splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    self.ofctl("add-meter", bridge, line)
        if nonempty(groups_file):
            self.ofctl("--bundle", "add-groups", bridge, str(groups_file))
        if nonempty(flows_file):
            self.ofctl("--bundle", "add-flows", bridge, str(flows_file))


# ---------------------------------------------------------------------------- command line

def main(argv: Sequence[str] | None = None) -> int:
    """``start DIR``, ``add-bridge DIR NAME DPID``, ``restart-vswitchd DIR``, ``stop DIR``."""
    parser = argparse.ArgumentParser(prog="python3 -m vtap.sandbox",
                                     description="A private ovsdb-server + ovs-vswitchd in DIR.")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="create DIR's database, start both daemons, return")
    start.add_argument("dir")
    start.add_argument("--dummy", choices=("override", "tunnels", "none"), default="override",
                       help="dummy netdevs (default override; none: real devices, netdev bridges)")
    start.add_argument("--netns", help="run ovs-vswitchd in this network namespace")
    bridge = commands.add_parser("add-bridge", help="an empty fail_mode=secure bridge, OpenFlow 1.3-1.5")
    bridge.add_argument("dir")
    bridge.add_argument("name")
    bridge.add_argument("dpid", type=lambda text: int(text, 0))
    bridge.add_argument("--datapath-type", help="default: dummy, or netdev with --dummy=none")
    for name, text in (("restart-vswitchd", "kill -9 ovs-vswitchd and start it again, as after a crash"),
                       ("stop", "stop the daemons start started (DIR itself is left)")):
        commands.add_parser(name, help=text).add_argument("dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            sandbox = OvsSandbox(path=args.dir, dummy=None if args.dummy == "none" else args.dummy, netns=args.netns)
            try:
                sandbox.start()
            except BaseException:
                sandbox.stop()
                raise
            sandbox.release()
        elif args.command == "stop":
            if (Path(args.dir) / STATE_FILE).exists():  # else nothing was started there
                OvsSandbox.attach(args.dir).stop()
        elif args.command == "restart-vswitchd":
            OvsSandbox.attach(args.dir).crash_and_restart_vswitchd()
        else:
            OvsSandbox.attach(args.dir).add_bridge(args.name, args.dpid, args.datapath_type)
    except OvsError as e:
        print(f"vtap.sandbox {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
