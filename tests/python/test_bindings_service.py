"""``vtap.Service`` from Python against a real Open vSwitch: lifecycle, tenants, events
delivered to Python callables (from the service's own threads too), the state file, and
counters."""

from __future__ import annotations

import json
import threading
import time

import pytest

from vtap_import import import_vtap

vtap = import_vtap()

from topo_helpers import Network, policy, tcp, topology  # noqa: E402


@pytest.fixture
def net(ovs):
    network = Network(ovs, topology("2sw-monitor-at-receiver"))
    network.build()
    return network


def service_for(net: Network, tmp_path, **kwargs) -> "vtap.Service":
    topo = vtap.Topology.from_json(json.dumps(net.topo.to_json()))
    targets = {s: f"unix:{net.ovs.dir}/{s}.mgmt" for s in net.topo.switches}
    return vtap.Service(topo, targets, state_file=str(tmp_path / "state.json"), **kwargs)


def state(net: Network) -> dict:
    transport = vtap.native_transport()
    out = {}
    for s in net.topo.switches:
        with transport.connect(f"unix:{net.ovs.dir}/{s}.mgmt") as c:
            out[s] = c.read_state()
    return out


def test_lifecycle_events_state_file_and_counters(net, tmp_path):
    events = []
    with service_for(net, tmp_path, request_timeout=10) as svc:
        svc.on_event(events.append)
        p = vtap.policies_from_json(json.dumps({"policies": [policy(0, "vm1", "vm2", "vm3", "tcp,tp_dst=80")]}))[0]
        pid = svc.add(p)
        assert pid == 1 and [e.kind for e in events if e.policy_id == 1] == [vtap.EventKind.applied]
        assert {s: sp for s, sp in state(net).items() if not sp.empty} == {s: svc.plan()[s] for s in svc.plan()}
        assert json.loads((tmp_path / "state.json").read_text())["policies"][0]["id"] == 1

        frame = tcp("vm1", "vm2", dport=80)
        for _ in range(3):
            net.deliver("vm1", frame)
        net.ovs.appctl("revalidator/purge")
        stats = svc.stats()
        assert stats[1].packets == 3 and stats[1].copies == 3, stats
        assert repr(stats[1]).startswith("PolicyStats(packets=3")

        svc.remove(pid)
        assert svc.list() == [] and all(sp.empty for sp in state(net).values())
        with pytest.raises(vtap.Error, match="no policy 1"):
            svc.remove(pid)


def test_tenants_and_refusals_change_nothing(net, tmp_path):
    svc = service_for(net, tmp_path)
    p = vtap.policies_from_json(json.dumps({"policies": [policy(0, "vm1", "vm2", "vm3")]}))[0]
    with pytest.raises(vtap.PolicyError) as e:
        svc.add(p, tenant="someone-else")
    assert e.value.field == "tenant"
    assert svc.list() == [] and all(sp.empty for sp in state(net).values())
    pid = svc.add(p, tenant=p.tenant)
    assert [x.id for x in svc.list(tenant=p.tenant)] == [pid] and svc.list(tenant="other") == []
    assert svc.get(pid, tenant="other") is None


def test_the_watchdog_repairs_a_crashed_switch_and_calls_back_from_its_thread(net, tmp_path):
    seen = threading.Event()
    threads = set()

    def handler(event):
        threads.add(threading.get_ident())
        if event.kind == vtap.EventKind.drift_repaired:
            seen.set()

    with service_for(net, tmp_path) as svc:
        svc.on_event(handler)
        svc.add(vtap.policies_from_json(json.dumps({"policies": [policy(0, "vm1", "vm2", "vm3")]}))[0])
        want = svc.plan()
        svc.start(interval=0.1)
        net.ovs.crash_and_restart_vswitchd()
        assert seen.wait(20), "the watchdog did not repair the restarted switch"
        deadline = time.monotonic() + 10
        while {s: sp for s, sp in state(net).items() if not sp.empty} != {s: want[s] for s in want}:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert threading.get_ident() not in threads or len(threads) > 1  # also called from the watchdog


def test_connection_options_transport_and_context_manager(net, tmp_path):
    topo = vtap.Topology.from_json(json.dumps(net.topo.to_json()))
    targets = {s: f"unix:{net.ovs.dir}/{s}.mgmt" for s in net.topo.switches}
    results = []
    svc = vtap.Service(topo, targets, None, state_file=tmp_path / "state.json", protocols=["OpenFlow15"],
                       timeout=10, echo_interval=0)
    with svc as same:
        assert same is svc
        svc.on_event(lambda event: results.append(event) or 42)  # the handler's result is ignored
        svc.add(vtap.policies_from_json(json.dumps({"policies": [policy(0, "vm1", "vm2", "vm3")]}))[0])
        assert sorted(svc.connected) == sorted(net.topo.switches) and results
    again = vtap.Service(topo, targets, transport=vtap.native_transport(), state_file=str(tmp_path / "state.json"))
    assert [p.id for p in again.list()] == [1]
    with pytest.raises(TypeError, match="no_such_option"):
        vtap.Service(topo, targets, no_such_option=1)
    with pytest.raises(vtap.ParseError, match="OpenFlow99"):
        vtap.Service(topo, targets, versions="OpenFlow99")
