"""RX throughput at Receiver and Monitor under a TAP (the paper's Fig. 8).

One user-space compute node (netdev datapath) with Sender VMs, a Receiver and a Monitor.
netsniff-ng's trafgen floods fixed-size UDP frames from every Sender to the Receiver at
full speed while the Receiver's and the Monitor's interface counters are read, in one of
three modes:

``none``
    no copy at all;
``libvtap``
    a ``vtap.Service`` policy per Sender copying Sender -> Receiver to the Monitor (the
    Monitor is on the Sender's switch: a group with a plain output bucket);
``mirror``
    an OVS ``Mirror`` (SPAN) selecting the Senders' ports, output to the Monitor's port,
    with ``revalidator/purge`` so cached datapath flows pick it up.

Ports are veth either as ``system`` (AF_PACKET) ports, which the datapath's main thread
polls, or as ``afxdp`` ports, which PMD threads poll; only the latter make the number of
PMD threads (``pmd-cpu-mask``) matter. Trials are interleaved over modes so drift of the
machine hits every mode alike.
"""
from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import vtap
from vtap.testbed import Testbed

from . import datapath

MODES = ("none", "libvtap", "mirror")

def frame_length(size: int) -> int:
    """Ethernet frame length without FCS for a nominal packet size (1500: a full frame)."""
    return 1514 if size == 1500 else max(60, size)


def mbps(pps: float, size: int) -> float:
    """Layer-2 throughput (frame bytes without FCS, preamble or gap) in Mbit/s."""
    return pps * frame_length(size) * 8 / 1e6


@dataclass(frozen=True)
class Trial:
    size: int
    mode: str
    pmds: int | None
    port_type: str
    trial: int
    sent_pps: float
    receiver_pps: float
    monitor_pps: float

    @property
    def receiver_mbps(self) -> float:
        return mbps(self.receiver_pps, self.size)

    @property
    def monitor_mbps(self) -> float:
        return mbps(self.monitor_pps, self.size)

    def row(self) -> dict:
        return {**self.__dict__, "receiver_mbps": self.receiver_mbps, "monitor_mbps": self.monitor_mbps}


class Bench:
    """A started testbed with ``senders`` Sender VMs, switched between modes."""

    def __init__(self, tb: Testbed, senders: int, port_type: str):
        self.node = tb.nodes["node1"]
        self.senders = [tb.vm(f"sender{i}") for i in range(1, senders + 1)]
        self.receiver, self.monitor = tb.vm("receiver"), tb.vm("monitor")
        self.ports = datapath.port_names(tb, self.node)
        datapath.set_port_type(tb, self.node, port_type)
        self.service = vtap.Service(tb.topology, tb.targets)
        self.policies: list[int] = []

    def close(self) -> None:
        self.service.stop()

    def set_mode(self, mode: str) -> None:
        for pid in self.policies:
            self.service.remove(pid)
        self.policies = []
        self.node.vsctl("clear", "Bridge", "node1", "mirrors")
        if mode == "libvtap":
            for s in self.senders:
                self.policies.append(self.service.add(vtap.TapPolicy(
                    sender=vtap.Endpoint(mac=s.mac), receiver=vtap.Endpoint(mac=self.receiver.mac),
                    monitor=vtap.Endpoint(mac=self.monitor.mac))))
        elif mode == "mirror":
            gets = [a for i, s in enumerate(self.senders) for a in
                    ("--", f"--id=@s{i}", "get", "Port", self.ports[s.name])]
            selected = ",".join(f"@s{i}" for i in range(len(self.senders)))
            self.node.vsctl(*gets, "--", "--id=@m", "get", "Port", self.ports["monitor"],
                            "--", "--id=@mir", "create", "Mirror", "name=span", f"select_src_port={selected}",
                            "output_port=@m", "--", "set", "Bridge", "node1", "mirrors=@mir")
        elif mode != "none":
            raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
        self.node.appctl("revalidator/purge")

    def flood(self, size: int, seconds: float) -> tuple[float, float, float]:
        """Every Sender -> Receiver at trafgen's full speed; (sent, receiver, monitor) pps."""
        payload = frame_length(size) - 42
        procs = []
        sent0 = sum(datapath.counter(s, "tx_packets") for s in self.senders)
        r0, m0 = datapath.counter(self.receiver, "rx_packets"), datapath.counter(self.monitor, "rx_packets")
        for s in self.senders:
            packet = (f"{{ eth(da={self.receiver.mac}, sa={s.mac}), ipv4(saddr={s.ip}, daddr={self.receiver.ip}), "
                      f"udp(sp=9, dp=9), fill(0x41, {payload}) }}")
            procs.append(s.popen("timeout", "-s", "INT", str(seconds), "trafgen", "--dev", "eth0", "-P", "1", "-q",
                                 packet, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for p in procs:
            p.wait(timeout=seconds + 30)
        time.sleep(0.1)  # frames still queued in the switch
        sent = sum(datapath.counter(s, "tx_packets") for s in self.senders) - sent0
        return (sent / seconds, (datapath.counter(self.receiver, "rx_packets") - r0) / seconds,
                (datapath.counter(self.monitor, "rx_packets") - m0) / seconds)


def testbed(senders: int) -> Testbed:
    return Testbed({"node1": [*(f"sender{i}" for i in range(1, senders + 1)), "receiver", "monitor"]})


def run(sizes: Sequence[int], *, modes: Sequence[str] = MODES, pmds: Sequence[int | None] = (None,),
        port_type: str = "system", senders: int = 2, seconds: float = 3, repeat: int = 3,
        progress: Callable[[Iterable], Iterator] = iter) -> list[Trial]:
    """Every (PMD count, size, repeat, mode) on one fresh testbed; ``None`` PMDs leaves OVS's
    default. ``progress`` wraps the trial loop (e.g. ``tqdm``)."""
    plan = [(p, size, k, mode) for p in pmds for size in sizes for k in range(repeat) for mode in modes]
    trials = []
    with testbed(senders) as tb:
        bench = Bench(tb, senders, port_type)
        pmds_now = None
        try:
            for p, size, k, mode in progress(plan):
                if p is not None and p != pmds_now:
                    datapath.set_pmds(bench.node, p)
                    pmds_now = p
                bench.set_mode(mode)
                sent, receiver, monitor = bench.flood(size, seconds)
                trials.append(Trial(size, mode, p, port_type, k, sent, receiver, monitor))
        finally:
            bench.close()
    return trials


def medians(trials: Iterable[Trial]) -> dict[tuple, dict[str, float]]:
    """(pmds, size, mode) -> median of each measured rate over the repeats."""
    groups: dict[tuple, list[Trial]] = {}
    for t in trials:
        groups.setdefault((t.pmds, t.size, t.mode), []).append(t)
    return {key: {k: statistics.median(getattr(t, k) for t in ts)
                  for k in ("sent_pps", "receiver_pps", "monitor_pps", "receiver_mbps", "monitor_mbps")}
            for key, ts in groups.items()}
