"""tcpdump on testbed VMs' eth0 (incoming frames only), shared by the testbed tests."""
from __future__ import annotations

import subprocess
import signal
import time
from pathlib import Path

from vtap_import import import_vtap

import_vtap()
from vtap.sandbox import stop_child  # noqa: E402
from vtap.testbed import Testbed  # noqa: E402


class VmCaptures:
    """One tcpdump per VM of ``names`` (default: every VM), listening when the constructor
    returns; :meth:`stop` waits for the captures to settle and returns each VM's frames."""

    def __init__(self, tb: Testbed, workdir: Path, names: list[str] | None = None):
        self.files = {name: workdir / f"{name}-{time.monotonic_ns()}.pcap" for name in (names or tb.vms)}
        self.procs: list[subprocess.Popen] = []
        try:
            for name, f in self.files.items():
                self.procs.append(tb.vm(name).popen("tcpdump", "-Q", "in", "-i", "eth0", "-U", "-n",
                                                    "--immediate-mode", "-w", str(f),
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            deadline = time.monotonic() + 10
            while not all(f.exists() for f in self.files.values()):  # tcpdump is listening
                assert time.monotonic() < deadline, "tcpdump did not start"
                time.sleep(0.05)
            time.sleep(0.3)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for p in self.procs:
            stop_child(p, timeout=10, sig=signal.SIGINT)  # SIGINT: tcpdump flushes its file

    def stop(self) -> dict[str, list[bytes]]:
        # Frames may still cross a busy user-space datapath: wait until no capture has grown
        # for a second (tcpdump -U writes every frame at once), at most 10 s.
        sizes, quiet_since, deadline = None, time.monotonic(), time.monotonic() + 10
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 1.0:
            now = [f.stat().st_size for f in self.files.values()]
            if now != sizes:
                sizes, quiet_since = now, time.monotonic()
            time.sleep(0.05)
        self.close()
        from scapy.all import rdpcap
        return {name: [bytes(p) for p in rdpcap(str(f))] for name, f in self.files.items()}
