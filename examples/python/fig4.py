#!/usr/bin/env python3
"""The paper's Fig. 4 policies through the Python package: compile, explain, and (with
``--switch NAME=TARGET``) install on running Open vSwitch bridges and print the counters.

    PYTHONPATH=build/python python3 examples/python/fig4.py
    PYTHONPATH=build/python python3 examples/python/fig4.py --switch s1=unix:/run/openvswitch/s1.mgmt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import vtap

HERE = Path(__file__).resolve().parent.parent / "fig4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--switch", action="append", default=[], metavar="NAME=TARGET")
    args = parser.parse_args()

    translator = vtap.Translator(vtap.Topology.load(HERE / "topology.json"))
    for policy in vtap.load_policies(HERE / "policies.json"):
        translator.add(policy)
    plan = translator.plan()
    for name in plan:
        print(f"# {name}: {plan[name]!r}")
        print(plan[name], end="")

    src, dst = translator.topology.find_host("vm1"), translator.topology.find_host("vm2")
    print(f"\n# explain an HTTP packet from {src.name} to {dst.name}")
    packet = f"tcp,dl_src={src.mac},dl_dst={dst.mac},nw_src={src.ip},nw_dst={dst.ip},tp_dst=80"
    print(vtap.explain(translator, packet), end="")

    transport = vtap.native_transport()
    for spec in args.switch:
        name, _, target = spec.partition("=")
        with transport.connect(target) as switch:
            print(f"\n# {name}: {switch.install(plan.switches.get(name, vtap.SwitchPlan())).summary}")
            for flow in switch.stats().flows:
                print(f"{flow.cookie:#x} n_packets={flow.packet_count} n_bytes={flow.byte_count}")


if __name__ == "__main__":
    main()
