"""Processes of the Open vSwitch family: run a command, start detached daemons and stop them by
pid, never signalling a reused pid (:class:`Daemons`), children that log to a file
(:class:`LoggedProcess`), and ``with`` support for what starts and
stops them (:class:`Lifecycle`).

Package-private: callers import the public names (and ``SBIN``, ``COMMAND_TIMEOUT``) from
:mod:`vtap.sandbox`. Like it, this file needs only Python's standard library (``python3
python/vtap/sandbox.py`` imports it from beside itself, without a build).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence, TypeVar

#: Where Debian puts the daemons; a non-login PATH may lack it.
SBIN = "/usr/sbin:/sbin"
#: Seconds to wait for a command (ovs-vsctl waits for ovs-vswitchd to apply a change).
COMMAND_TIMEOUT = 30


class OvsError(RuntimeError):
    """An ovs-* command failed; the message carries the command and its stderr."""


# ---------------------------------------------------------------------------- processes

def ovs_env(directory: str | os.PathLike, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the daemons' directory in
    ``PATH`` and ``DIRECTORY`` as ``OVS_RUNDIR``, ``OVS_LOGDIR``, ``OVS_DBDIR`` and
    ``OVS_SYSCONFDIR``: what every ovs-* command of a sandbox runs with."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":" + SBIN
    for var in ("RUNDIR", "LOGDIR", "DBDIR", "SYSCONFDIR"):
        env[f"OVS_{var}"] = str(directory)
    return env


def ovs_installed() -> bool:
    """Whether Open vSwitch's daemons are installed (looked up in ``PATH`` and ``/usr/sbin``)."""
    path = os.environ.get("PATH", "/usr/bin:/bin") + ":" + SBIN
    return all(shutil.which(p, path=path) for p in ("ovsdb-server", "ovs-vswitchd", "ovsdb-tool"))


def run(argv: Sequence[object], env: Mapping[str, str] | None = None, *, check: bool = True,
        timeout: float = COMMAND_TIMEOUT, error: type[Exception] = OvsError) -> subprocess.CompletedProcess:
    """Run ``argv`` (text output captured); raise ``error`` naming the command and its stderr
    when it fails (with ``check``) or runs longer than ``timeout`` seconds."""
    args = [str(a) for a in argv]
    try:
        proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise error(f"{' '.join(args)}: timed out after {timeout}s") from e
    if check and proc.returncode != 0:
        raise error(f"{' '.join(args)} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc


def alive(pid: int) -> bool:
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


def _is(pid: int, program: str) -> bool:
    """Whether ``pid`` is (still) ``program``: never signal a reused pid."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == Path(program).name[:15]
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def stop_process(pid: int, program: str, timeout: float = 10.0) -> None:
    """Stop ``pid`` if it still is ``program``: SIGTERM (and SIGCONT, should it be stopped),
    then SIGKILL if it lingers for ``timeout`` seconds."""
    if not alive(pid) or not _is(pid, program):
        return
    for signals in ((signal.SIGTERM, signal.SIGCONT), (signal.SIGKILL,)):
        try:
            for sig in signals:
                os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _wait_gone(pid, timeout):
            return


def stop_child(proc: subprocess.Popen, timeout: float = 15.0, sig: int = signal.SIGTERM) -> None:
    """Stop a child started with ``subprocess.Popen`` and reap it: ``sig`` (SIGTERM, or SIGINT
    for tcpdump to flush its capture), then SIGKILL if it lingers for ``timeout`` seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


class LoggedProcess:
    """A child process (a ``vtapctl serve`` or ``agent``, say) whose output goes to a log
    file: started, waited on for a line of its log, paused and resumed, stopped (SIGCONT,
    SIGTERM, then SIGKILL) or killed. It can be started again after a stop or a kill; the
    log is appended to."""

    def __init__(self, argv: Sequence[object], log: str | os.PathLike, *, start: bool = True):
        self.argv = [str(a) for a in argv]
        self.log = Path(log)
        self.proc: subprocess.Popen | None = None
        if start:
            self.start()

    def start(self) -> None:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, pattern: str, timeout: float = 30.0, *, after: int = 0, count: int = 1) -> re.Match:
        """The ``count``-th match of the regular expression ``pattern`` in a line of the log
        (from offset ``after``). Raises OvsError, with the log's end, when the process exits or
        ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        name = Path(self.argv[0]).name + (f" {self.argv[1]}" if len(self.argv) > 1 else "")
        while True:
            found = [m for line in self.text()[after:].splitlines() if (m := re.search(pattern, line))]
            if len(found) >= count:
                return found[count - 1]
            if not self.running():
                raise OvsError(f"{name} exited:\n{self.text()[-3000:]}")
            if time.monotonic() > deadline:
                raise OvsError(f"{name} did not print {pattern!r} in {timeout}s:\n{self.text()[-3000:]}")
            time.sleep(0.05)

    def pause(self) -> None:
        """SIGSTOP: the process runs no more until :meth:`resume`."""
        if self.running():
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.running():
            self.proc.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is not None:
            self.resume()  # a stopped process acts on SIGTERM only once continued
            stop_child(self.proc, timeout)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_sigterm() -> None:
    """In the main thread, unless a SIGTERM handler is already installed, make SIGTERM raise
    ``KeyboardInterrupt``, so that ``with`` blocks and ``finally`` clauses clean up as after
    Ctrl-C (by default a SIGTERM ends the interpreter without running any of them)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


class Daemons:
    """Detached daemons of the Open vSwitch family started in one directory, stopped by pid.

    :meth:`start` runs ``[*prefix, *argv, --pidfile=DIR/STEM.pid, --detach, --no-chdir,
    --log-file=DIR/STEM.log]`` and records the daemon's pid in :attr:`pids` under ``key``;
    :meth:`stop` and :meth:`stop_all` (newest first) stop them with :func:`stop_process`. A
    daemon whose start failed half-way is still found through its pidfile. Holds no
    reference to its owner, so an owner's ``weakref.finalize`` may call it.
    """

    def __init__(self, directory: str | os.PathLike, error: type[Exception] = OvsError):
        self.dir = Path(directory)
        self.error = error
        #: key -> pid of every daemon running.
        self.pids: dict[str, int] = {}
        self._known: dict[str, tuple[str, Path]] = {}  # key -> (program, pidfile), in start order

    def start(self, key: str, argv: Sequence[str], env: Mapping[str, str], *, stem: str | None = None,
              prefix: Sequence[str] = (), retry_running: bool = False) -> int:
        """Start ``argv`` detached; return its pid. ``retry_running``: retry for up to 2 s while
        the daemon says another one "is already running" (a killed daemon's pidfile lock goes
        with its last thread, which may outlive its main thread by a moment)."""
        stem = stem or key
        pidfile = self.dir / f"{stem}.pid"
        self._known[key] = (argv[0], pidfile)
        full = [*prefix, *argv, f"--pidfile={pidfile}", "--detach", "--no-chdir", f"--log-file={self.dir}/{stem}.log"]
        for attempt in range(100):
            try:
                run(full, env, error=self.error)
                break
            except self.error as e:
                if not retry_running or "already running" not in str(e) or attempt == 99:
                    raise
                time.sleep(0.02)
        pid = _read_pid(pidfile)
        if pid is None:
            raise self.error(f"{argv[0]} started but wrote no pid to {pidfile}")
        self.pids[key] = pid
        return pid

    def adopt(self, key: str, program: str, stem: str | None = None) -> None:
        """Take over a daemon another process started here, by its pidfile."""
        pidfile = self.dir / f"{stem or key}.pid"
        self._known[key] = (program, pidfile)
        pid = _read_pid(pidfile)
        if pid is not None and alive(pid) and _is(pid, program):
            self.pids[key] = pid

    def kill(self, key: str) -> None:
        """``kill -9`` the daemon (as a crash would) and wait until it is gone."""
        program, _ = self._known[key]
        pid = self.pids.pop(key)
        if alive(pid) and _is(pid, program):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10)

    def stop(self, key: str, timeout: float = 10.0) -> None:
        """Stop the daemon ``key`` if it runs; nothing if it is unknown."""
        if key not in self._known:
            return
        program, pidfile = self._known.pop(key)
        pid = self.pids.pop(key, None) or _read_pid(pidfile)
        if pid is not None:
            stop_process(pid, program, timeout)

    def stop_all(self) -> None:
        """Stop every daemon, the last started first."""
        for key in reversed(list(self._known)):
            self.stop(key)


# ---------------------------------------------------------------------------- with

_Started = TypeVar("_Started", bound="Lifecycle")


class Lifecycle:
    """``with`` support for a class with ``start()`` and ``stop()``: entering starts (and
    stops again what a failed start left running), leaving stops, whatever happened."""

    def __enter__(self: _Started) -> _Started:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError
