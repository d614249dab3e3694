"""How the testbed's switch polls its ports: veth as ``system`` (AF_PACKET) ports, polled
by ovs-vswitchd's main thread, or as ``afxdp`` ports, polled by PMD threads (the user-space
stand-in for the paper's OVS-DPDK); and how many PMD threads run."""
from __future__ import annotations

import os
import time

from vtap.testbed import Node, Testbed, Vm

PORT_TYPES = ("system", "afxdp")


class Unsupported(RuntimeError):
    """The machine cannot run this configuration; the message says why."""


def port_names(tb: Testbed, node: Node) -> dict[str, str]:
    """VM name -> the name of its port on ``node``'s bridge."""
    return {vm.name: node.vsctl("--bare", "--columns=name", "find", "Interface", f"ofport={vm.port}").strip()
            for vm in tb.vms.values() if vm.node == node.name}


def set_port_type(tb: Testbed, node: Node, port_type: str) -> None:
    """Re-open every VM port of ``node`` as ``port_type`` (OpenFlow port numbers stay)."""
    if port_type not in PORT_TYPES:
        raise ValueError(f"port type {port_type!r}: expected one of {', '.join(PORT_TYPES)}")
    if port_type == "system":
        return
    ports = port_names(tb, node).values()
    for port in ports:
        # Generic (SKB) XDP: native XDP on veth needs an XDP program on the peer inside the VM.
        node.vsctl("set", "Interface", port, "type=afxdp", "options:xdp-mode=generic")
    failed = {p: e for p in ports if (e := node.vsctl("get", "Interface", p, "error").strip()) not in ("[]", "")}
    if failed:
        raise Unsupported(f"Open vSwitch cannot open veth ports as AF_XDP here: {failed}")


def set_pmds(node: Node, count: int) -> None:
    """Run ``count`` PMD threads on cores 0..count-1, receive queues assigned round-robin."""
    cores = os.cpu_count() or 1
    if count > cores:
        raise Unsupported(f"{count} PMD threads need {count} cores; this machine has {cores}")
    node.vsctl("set", "Open_vSwitch", ".", f"other_config:pmd-cpu-mask={(1 << count) - 1:#x}",
               "other_config:pmd-rxq-assign=roundrobin")
    deadline = time.monotonic() + 20
    while node.appctl("dpif-netdev/pmd-rxq-show").count("pmd thread") != count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"ovs-vswitchd did not start {count} PMD threads")
        time.sleep(0.1)


def counter(vm: Vm, name: str) -> int:
    """A statistic of the VM's eth0 as the kernel counts it, e.g. ``rx_packets``."""
    return int(vm.run("cat", f"/sys/class/net/eth0/statistics/{name}").stdout)
