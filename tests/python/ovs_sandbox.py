"""A private, deterministic Open vSwitch for tests.

``OvsSandbox`` starts its own ``ovsdb-server`` and ``ovs-vswitchd`` (Debian's
``openvswitch-switch``, user space) in a fresh temporary directory, with
``--enable-dummy=override --disable-system --disable-system-route`` so that no
kernel datapath, no system OVS, no kernel route and no real network device is
ever touched (``OvsSandbox(dummy="tunnels")`` drops ``=override`` for real
tunnel ports).  Bridges use the ``dummy`` datapath, ports are ``type=dummy``
netdevs:

* a frame is injected "as received on port P" with
  ``ovs-appctl netdev-dummy/receive P HEX`` (:meth:`OvsSandbox.send`);
* whatever the switch *transmits* on a port is appended to a pcap file set with
  the dummy netdev option ``options:tx_pcap=FILE`` (``options:pcap`` would also
  record the frames injected on that port); OVS ``fflush``\\ es the file after
  every packet, so :meth:`OvsSandbox.packets_out` reads complete records.

Example::

    with OvsSandbox() as ovs:
        ovs.add_bridge("s1", dpid=1)
        ovs.add_port("s1", "p1", 1)
        ovs.add_port("s1", "p2", 2)
        ovs.ofctl("add-flow", "s1", "in_port=1,actions=output:2")
        ovs.send("p1", bytes(scapy_frame))
        assert ovs.packets_out("p2") == [bytes(scapy_frame)]

Every daemon the sandbox starts is stopped by its pidfile on ``__exit__``
(also on exceptions and ``KeyboardInterrupt``), by a ``weakref.finalize``
safety net when the object is collected, and at interpreter exit.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

__all__ = ["OvsSandbox", "OvsError", "read_pcap"]

OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
DEFAULT_PROTOCOLS = "OpenFlow13,OpenFlow14,OpenFlow15"
# ovs-ofctl speaks this version to the bridges unless a call says otherwise.
OFCTL_VERSION = "OpenFlow15"
# Seconds to wait for a command (ovs-vsctl waits for ovs-vswitchd to apply).
COMMAND_TIMEOUT = 30


class OvsError(RuntimeError):
    """An ovs-* command failed; the message carries the command and its stderr."""


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


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name.
    return stat[stat.rindex(")") + 2] != "Z"


def _is_ovs_daemon(pid: int) -> bool:
    """True if ``pid`` is (still) an ovsdb-server or ovs-vswitchd: never signal a reused pid."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in ("ovsdb-server", "ovs-vswitchd")
    except OSError:
        return False


def _stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM ``pid``, wait for it to go, SIGKILL it if it lingers."""
    if not _pid_alive(pid) or not _is_ovs_daemon(pid):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.01)


def _cleanup(directory: str, pidfiles: list[str], started: list[int], remove: bool) -> None:
    """Stop the sandbox's daemons (vswitchd first) and remove its directory.

    Module-level so the finalizer holds no reference to the sandbox object.
    Only pids read from *our* pidfiles (or recorded when we started them) are
    signalled.
    """
    pids = []
    for pidfile in pidfiles:
        try:
            pids.append(int(Path(pidfile).read_text().strip()))
        except (OSError, ValueError):
            pass
    for pid in started:
        if pid not in pids:
            pids.append(pid)
    for pid in pids:
        _stop_pid(pid)
    if remove:
        shutil.rmtree(directory, ignore_errors=True)


class OvsSandbox:
    """A private ovsdb-server + ovs-vswitchd on the dummy datapath.

    Parameters:
        keep: leave the directory (logs, db, captures) behind after stopping,
            for post-mortem debugging.  Also enabled by env ``VTAP_KEEP_OVS=1``.
        directory: parent directory for the sandbox's temporary directory
            (default: ``$TMPDIR`` or ``/tmp``).  Unix socket paths must stay
            under 108 bytes, so keep it short.
        dummy: ``"override"`` (default) starts ovs-vswitchd with
            ``--enable-dummy=override``: *every* netdev type, even ``vxlan``,
            is replaced by the dummy netdev, so nothing real can be touched,
            but tunnel ports are plain dummy ports (no encapsulation).
            ``"tunnels"`` uses ``--enable-dummy`` (as OVS's own testsuite
            does): tunnel ports are real vports doing native tunnelling on the
            dummy datapath, see :meth:`add_underlay`.  Either way
            ``--disable-system --disable-system-route`` keep the kernel's
            datapath and routing table out.

    Attributes:
        dir: the sandbox directory (``OVS_RUNDIR``/``LOGDIR``/``DBDIR``/``SYSCONFDIR``).
        env: the environment every ovs-* command runs with.
        db: the ``--db=`` remote of ovsdb-server.
        pids: ``{"ovsdb-server": pid, "ovs-vswitchd": pid}`` once started.
    """

    def __init__(self, keep: bool | None = None, directory: str | None = None,
                 dummy: str = "override"):
        if dummy not in ("override", "tunnels"):
            raise ValueError(f"dummy must be 'override' or 'tunnels', not {dummy!r}")
        self.dummy = dummy
        self.keep = keep if keep is not None else os.environ.get("VTAP_KEEP_OVS") == "1"
        self.dir = Path(tempfile.mkdtemp(prefix="vtap-ovs-", dir=directory))
        if len(str(self.dir / "ovs-vswitchd.4194304.ctl")) > 100:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise OvsError(f"sandbox path {self.dir} too long for unix sockets")
        self.env = dict(os.environ)
        # The daemons live in /usr/sbin, which a non-login PATH may lack.
        self.env["PATH"] = self.env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
            self.env[var] = str(self.dir)
        self.db = f"unix:{self.dir}/db.sock"
        self.pids: dict[str, int] = {}
        self._ports: dict[str, Path] = {}
        self._pidfiles = [str(self.dir / "vswitchd.pid"), str(self.dir / "ovsdb.pid")]
        self._started: list[int] = []
        self._running = False
        # Safety net: runs at most once, on stop(), when the object is garbage
        # collected, or at interpreter exit (weakref.finalize's atexit hook).
        self._finalizer = weakref.finalize(self, _cleanup, str(self.dir), self._pidfiles,
                                           self._started, not self.keep)
        self._finalizer.atexit = True

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "OvsSandbox":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Create the database and start ovsdb-server, then ovs-vswitchd."""
        d = self.dir
        self._run(["ovsdb-tool", "create", f"{d}/conf.db", OVS_SCHEMA])
        self._run(["ovsdb-server", f"--remote=punix:{d}/db.sock", f"--pidfile={d}/ovsdb.pid",
                   "--detach", "--no-chdir", f"--log-file={d}/ovsdb.log", f"{d}/conf.db"])
        self._record_pid("ovsdb-server", d / "ovsdb.pid")
        self.vsctl("--no-wait", "init")
        self._run(["ovs-vswitchd", self.db, f"--pidfile={d}/vswitchd.pid", "--detach",
                   "--no-chdir", f"--log-file={d}/vswitchd.log",
                   "--enable-dummy=override" if self.dummy == "override" else "--enable-dummy",
                   "--disable-system", "--disable-system-route"])
        self._record_pid("ovs-vswitchd", d / "vswitchd.pid")
        self._running = True
        # ovs-vsctl (without --no-wait) returns once ovs-vswitchd applied the change.
        self.vsctl("set", "Open_vSwitch", ".", "other_config:vtap-sandbox=true")

    def crash_and_restart_vswitchd(self) -> None:
        """``kill -9`` ovs-vswitchd and start it again on the same database, as after a
        crash: bridges come back with no flows, groups or meters."""
        d = self.dir
        pid = self.pids["ovs-vswitchd"]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        # The pidfile lock goes with the daemon's last thread, which may outlive its main
        # thread by a moment: retry while the new daemon says the old one still runs.
        for attempt in range(100):
            try:
                self._run(["ovs-vswitchd", self.db, f"--pidfile={d}/vswitchd.pid", "--detach",
                           "--no-chdir", f"--log-file={d}/vswitchd.log",
                           "--enable-dummy=override" if self.dummy == "override" else "--enable-dummy",
                           "--disable-system", "--disable-system-route"])
                break
            except OvsError as e:
                if "already running" not in str(e) or attempt == 99:
                    raise
                time.sleep(0.02)
        self._record_pid("ovs-vswitchd", d / "vswitchd.pid")
        self.vsctl("set", "Open_vSwitch", ".", f"other_config:vtap-restarts={time.monotonic()}")

    def stop(self) -> None:
        """Stop ovs-vswitchd, then ovsdb-server; remove the directory unless ``keep``."""
        self._running = False
        self._finalizer()

    def _record_pid(self, name: str, pidfile: Path) -> None:
        pid = int(pidfile.read_text().strip())
        self.pids[name] = pid
        self._started.append(pid)

    # ------------------------------------------------------------------ commands

    def _run(self, argv: list[str], check: bool = True) -> str:
        try:
            proc = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            raise OvsError(f"{' '.join(argv)}: timed out after {COMMAND_TIMEOUT}s") from e
        if check and proc.returncode != 0:
            raise OvsError(f"{' '.join(argv)} failed (exit {proc.returncode}): "
                           f"{proc.stderr.strip()}")
        return proc.stdout

    def vsctl(self, *args: str) -> str:
        """Run ``ovs-vsctl --db=... ARGS``; return stdout, raise OvsError on failure."""
        return self._run(["ovs-vsctl", f"--db={self.db}", f"--timeout={COMMAND_TIMEOUT}",
                          *map(str, args)])

    def ofctl(self, *args: str) -> str:
        """Run ``ovs-ofctl ARGS`` (``-O OpenFlow15`` added unless ARGS has ``-O``).

        Bridge names resolve to the bridge's ``DIR/<bridge>.mgmt`` socket.
        """
        args = tuple(map(str, args))
        if not any(a == "-O" or a.startswith(("-O", "--protocols")) for a in args):
            args = ("-O", OFCTL_VERSION) + args
        return self._run(["ovs-ofctl", *args])

    def appctl(self, *args: str, target: str = "ovs-vswitchd") -> str:
        """Run ``ovs-appctl --target=<daemon's control socket> ARGS``."""
        return self._run(["ovs-appctl", f"--target={self._ctl(target)}", *map(str, args)])

    def _ctl(self, daemon: str) -> str:
        if not self._running:
            raise OvsError("sandbox is not running")
        return f"{self.dir}/{daemon}.{self.pids[daemon]}.ctl"

    # ------------------------------------------------------------------ topology

    def add_bridge(self, name: str, dpid: int, datapath_type: str = "dummy",
                   protocols: str = DEFAULT_PROTOCOLS) -> None:
        """Add an empty bridge: no controller, ``fail_mode=secure``, no flows at all."""
        self.vsctl("add-br", name, "--", "set", "bridge", name,
                   f"datapath_type={datapath_type}", "fail_mode=secure",
                   f"protocols={protocols}", f"other-config:datapath-id={dpid:016x}")
        self.ofctl("del-flows", name)

    def add_port(self, bridge: str, name: str, ofport: int) -> None:
        """Add a ``type=dummy`` port whose transmitted frames are captured."""
        pcap = self.dir / f"{name}.tx.pcap"
        self.vsctl("add-port", bridge, name, "--", "set", "interface", name, "type=dummy",
                   f"ofport_request={ofport}", f"options:tx_pcap={pcap}")
        self._check_ofport(name, ofport)
        self._ports[name] = pcap

    def add_patch(self, br_a: str, port_a: str, ofport_a: int,
                  br_b: str, port_b: str, ofport_b: int) -> None:
        """Join two bridges with a patch port pair (``port_a`` on ``br_a`` <-> ``port_b``)."""
        self.vsctl("add-port", br_a, port_a, "--", "set", "interface", port_a, "type=patch",
                   f"ofport_request={ofport_a}", f"options:peer={port_b}",
                   "--", "add-port", br_b, port_b, "--", "set", "interface", port_b,
                   "type=patch", f"ofport_request={ofport_b}", f"options:peer={port_a}")
        self._check_ofport(port_a, ofport_a)
        self._check_ofport(port_b, ofport_b)

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
            raise OvsError("add_underlay needs OvsSandbox(dummy='tunnels')")
        net = ipaddress.ip_interface(ip_cidr).network
        self.add_bridge(bridge, dpid=0xfe)
        self.vsctl("set", "bridge", bridge, f"other-config:hwaddr={mac}")
        self.add_port(bridge, uplink, uplink_ofport)
        self.appctl("netdev-dummy/ip4addr", bridge, ip_cidr)
        self.appctl("ovs/route/add", str(net), bridge)
        for ip, hw in neighbors.items():
            self.appctl("tnl/arp/set", bridge, ip, hw)
        self.ofctl("add-flow", bridge, "actions=NORMAL")

    def _check_ofport(self, name: str, ofport: int) -> None:
        got = self.vsctl("get", "interface", name, "ofport").strip()
        if got != str(ofport):
            raise OvsError(f"port {name}: got ofport {got}, wanted {ofport} "
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
