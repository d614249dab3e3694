#!/usr/bin/env python3
"""Apply a policy file through ``vtap.Service``, send some traffic, watch the per-policy
counters, and explain a packet — all on a private two-node testbed (needs root):

    PYTHONPATH=build/python python3 examples/python/watch.py [--seconds 5]

The testbed is the paper's Fig. 4: vm1 and vm4 on node1, vm2 and vm3 on node2, the nodes
joined by VXLAN. Policy 1 copies vm1 -> vm2 HTTP to vm3; policy 3 copies vm2 -> vm1
VLAN 200 / ECN 3 TCP to vm4. Everything is removed again on exit.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import vtap
from vtap.testbed import Testbed

FIG4 = Path(__file__).resolve().parent.parent / "fig4"


def nodes_of(topology: dict) -> dict:
    """The Fig. 4 hosts, placed as the topology file places them (s1 -> node1, s2 -> node2)."""
    out: dict = {}
    for h in sorted(topology["hosts"], key=lambda h: h["port"]):
        node = "node" + h["switch"][1:]
        out.setdefault(node, []).append({"name": h["name"], "mac": h["mac"], "ip": h["ip"], "tenant": h["tenant"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="how long to watch the counters")
    args = parser.parse_args()

    with Testbed(nodes_of(json.loads((FIG4 / "topology.json").read_text())), subnet="10.1.1.0/24") as tb:
        with vtap.Service(tb.topology, tb.targets) as service:
            service.on_event(lambda e: print(f"event: {e!r}"))
            for policy in vtap.load_policies(FIG4 / "policies.json"):
                service.add(policy)

            vm1, vm2 = tb.vm("vm1"), tb.vm("vm2")
            server = vm2.popen("python3", "-m", "http.server", "80", "--bind", vm2.ip)
            try:
                for _ in range(args.seconds):
                    vm1.run("python3", "-c", f"import urllib.request as u; u.urlopen('http://{vm2.ip}/', timeout=2)",
                            check=False)
                    time.sleep(1)
                    for node in tb.nodes.values():  # push the datapath's cached counters up
                        node.appctl("revalidator/purge")
                    for pid, s in sorted(service.stats().items()):
                        print(f"policy {pid}: {s.packets} packets matched, {s.copies} copies sent")
            finally:
                server.terminate()
                server.wait()

            packet = f"tcp,dl_src={vm1.mac},dl_dst={vm2.mac},nw_src={vm1.ip},nw_dst={vm2.ip},tp_dst=80"
            translator = vtap.Translator(tb.topology)
            for policy in service.list():
                translator.add(policy)
            print(vtap.explain(translator, packet), end="")


if __name__ == "__main__":
    main()
