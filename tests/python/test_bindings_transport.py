"""The bindings' transports: ``vtap.native_transport()`` against a real Open vSwitch.

Each test starts a private ``ovs-vswitchd`` (the ``ovs`` fixture), builds a topology in it
with ``topo_helpers.Network``, and programs it through ``SwitchConnection``; Open vSwitch is
the oracle for what got installed (``read_state`` and ``ovs-ofctl dump-flows``) and for the
counters (packets injected on the dummy ports).
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time

import pytest

from prerequisites import requires
from vtap_import import import_vtap

vtap = import_vtap()

from topo_helpers import Network, policy, tcp, udp, topology  # noqa: E402

POLICIES = [
    policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80"),
    policy(2, "vm1", "vm2", "vm4", "tcp", truncate=100),
    policy(3, "vm2", "vm1", "vm3", "udp", rate_limit={"pktps": 50}),
]


def translator_for(topo, policies) -> "vtap.Translator":
    import json
    tr = vtap.Translator(vtap.Topology.from_json(json.dumps(topo.to_json())))
    for p in vtap.policies_from_json(json.dumps({"policies": policies})):
        tr.add(p)
    return tr


@pytest.fixture
def net(ovs):
    network = Network(ovs, topology("2sw-monitor-at-receiver"))
    network.build()
    return network


def target(net: Network, switch: str) -> str:
    return f"unix:{net.ovs.dir}/{switch}.mgmt"


def test_install_read_state_and_stats(net):
    tr = translator_for(net.topo, POLICIES)
    plan = tr.plan()
    transport = vtap.native_transport()
    assert transport.name == "native"
    connections = {s: transport.connect(target(net, s)) for s in plan}
    try:
        for s, conn in connections.items():
            assert conn.is_open and conn.datapath_id == net.topo.dpid(s)
            assert conn.version is vtap.Version.of15
            assert conn.read_state() == vtap.SwitchPlan()
            report = conn.install(plan[s])
            assert isinstance(report, vtap.InstallReport)
            assert report.summary == report.change.summary != "no change"
            assert report.change.flows_added == len(plan[s].flows)
            assert report.change.groups_added == len(plan[s].groups)
            assert conn.read_state() == plan[s]
            assert conn.install(plan[s]).summary == "no change"
            # What OVS holds is what the plan says (cookies included).
            dumped = net.ovs.ofctl("-O", "OpenFlow15", "--no-stats", "dump-flows", s,
                                   "cookie=0x7674000000000000/0xffff000000000000").splitlines()
            assert len(dumped) == len(plan[s].flows)

        # vm1 -> vm2 on port 80 matches policies 1 and 2 at s1: one packet through the
        # tap rule, its group, and every bucket of it.
        frame = tcp("vm1", "vm2", dport=80)
        for _ in range(3):
            net.ovs.send("vm1", frame)
        stats = connections["s1"].stats()
        assert isinstance(stats, vtap.SwitchStats)
        assert {f.cookie for f in stats.flows} == {f.cookie for f in plan["s1"].flows}
        hit = [f for f in stats.flows if f.packet_count]
        assert hit and all(f.packet_count == 3 and f.byte_count == 3 * len(frame) for f in hit)
        assert all(f.rule in plan["s1"].flows for f in stats.flows)
        group_id = hit[0].rule.actions[0].group_id
        group = next(g for g in stats.groups if g.group_id == group_id)
        assert group.packet_count == 3 and group.ref_count >= 1
        expected_buckets = len(next(g for g in plan["s1"].groups if g.group_id == group_id).buckets)
        assert [b.packet_count for b in group.buckets] == [3] * expected_buckets

        # Removing the policies and installing the empty plan removes exactly libvtap's rules.
        for pid in (1, 2, 3):
            tr.remove(pid)
        for s, conn in connections.items():
            report = conn.install(tr.plan(s))
            assert report.change.flows_deleted == len(plan[s].flows)
            assert conn.read_state() == vtap.SwitchPlan()
        assert "dl_dst=" in net.ovs.ofctl("dump-flows", "s1")  # the switch's own forwarding stays
    finally:
        for conn in connections.values():
            conn.close()
    assert not any(c.is_open for c in connections.values())


def test_context_manager_options_and_apply(net):
    plan = translator_for(net.topo, POLICIES[:1]).plan()
    with vtap.native_transport().connect(target(net, "s1"), versions=["OpenFlow13", vtap.Version.of14],
                                         request_timeout=10, echo_interval=0) as conn:
        assert conn.version is vtap.Version.of14 and repr(conn).startswith("<SwitchConnection unix:")
        change = vtap.diff(conn.read_state(), plan["s1"])
        assert change.flows_added == len(plan["s1"].flows) and not change.empty
        result = conn.apply(change)
        assert isinstance(result, vtap.BundleResult) and result.failed_index is None
        assert result.messages == change.messages - len(plan["s1"].meters)
        assert conn.read_state() == plan["s1"]
    assert not conn.is_open
    with pytest.raises(vtap.TransportError):
        conn.read_state()
    with pytest.raises(TypeError, match="no_such_option"):
        vtap.native_transport().connect(target(net, "s1"), no_such_option=1)


def test_connection_options_are_keyword_arguments(net):
    transport = vtap.native_transport()
    # The older names still work: protocols (as vtapctl -O/--protocols) and timeout.
    conn = transport.connect(target(net, "s1"), protocols="OpenFlow13,OpenFlow14", timeout=10)
    with conn as same:
        assert same is conn and conn.version is vtap.Version.of14
    assert not conn.is_open
    with transport.connect(target(net, "s1"), versions=(vtap.Version.of13,), echo_interval=2.5, echo_misses=2,
                           request_timeout=5, bundle_chunk=100) as conn:
        assert conn.version is vtap.Version.of13
    with transport.connect(target(net, "s1"), versions={"OpenFlow15"}) as conn:
        assert conn.version is vtap.Version.of15


@pytest.mark.parametrize("options,error", [
    ({"versions": ["OpenFlow99"]}, vtap.ParseError),
    ({"versions": "OpenFlow13,"}, vtap.ParseError),
    ({"versions": [13]}, TypeError),
    ({"request_timeout": -1}, ValueError),
    ({"echo_interval": "5"}, TypeError),
    ({"versions": "OpenFlow13", "protocols": "OpenFlow14"}, TypeError),
    ({"request_timeout": 5, "timeout": 6}, TypeError),
    ({"ssl_private_key": 1}, TypeError),
])
def test_connection_options_are_checked_before_connecting(options, error):
    with pytest.raises(error):
        vtap.native_transport().connect("unix:/nonexistent/s1.mgmt", **options)


def test_connection_options_are_keyword_only():
    signature = vtap.Transport.connect.__doc__.splitlines()[0]
    assert "target: str, *, versions: " in signature and "kwargs" not in signature
    assert "request_timeout: typing.SupportsFloat | typing.SupportsIndex = 30.0" in signature
    with pytest.raises(TypeError):
        vtap.native_transport().connect("unix:/nonexistent/s1.mgmt", ["OpenFlow13"])
    with pytest.raises(TypeError):
        vtap.native_transport().connect(5)  # once a crash: py::keep_alive ran on the failed call


def test_refusal_raises_transport_error_and_rolls_back(net):
    tr = translator_for(net.topo, POLICIES[:1])
    with vtap.native_transport().connect(target(net, "s1")) as conn:
        conn.install(tr.plan("s1"))
        before = conn.read_state()
        # Table 0 may hold no more flows than it has now: the next policy's flow is refused.
        n = len(net.ovs.ofctl("--no-stats", "dump-flows", "s1", "table=0").splitlines())
        net.ovs.vsctl("--", "--id=@ft", "create", "Flow_Table", f"flow_limit={n}", "overflow_policy=refuse",
                      "--", "set", "bridge", "s1", "flow_tables:0=@ft")
        tr.add(translator_for(net.topo, POLICIES[1:2]).policies()[0])
        with pytest.raises(vtap.TransportError) as info:
            conn.install(tr.plan("s1"))
        err = info.value
        assert isinstance(err, vtap.Error)
        assert "OFPFMFC_TABLE_FULL" in str(err) and str(err).startswith(target(net, "s1") + ":"), str(err)
        assert err.category == "openflow" and err.failed_index is not None
        assert conn.read_state() == before


def test_connect_failures_are_clear():
    transport = vtap.native_transport()
    with pytest.raises(vtap.ParseError, match="bogus"):
        transport.connect("bogus:x")
    with tempfile.TemporaryDirectory() as d:
        with pytest.raises(vtap.TransportError, match="No such file or directory") as info:
            transport.connect(f"unix:{d}/nothing.mgmt")
        assert info.value.failed_index is None and info.value.category == "system"


def test_network_waits_release_the_gil():
    """A Python thread keeps running while connect() waits for a switch that never answers."""
    transport = vtap.native_transport()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "silent.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
            silent.bind(path)
            silent.listen(4)  # accepts the connection in the kernel, never says HELLO
            ticks = []
            stop = threading.Event()

            def tick():
                while not stop.is_set():
                    ticks.append(time.monotonic())
                    time.sleep(0.01)

            thread = threading.Thread(target=tick)
            started = time.monotonic()
            thread.start()
            try:
                with pytest.raises(vtap.TransportError, match="no reply") as info:
                    transport.connect(f"unix:{path}", request_timeout=1.0)
                waited = time.monotonic() - started
            finally:
                stop.set()
                thread.join()
    assert info.value.category == "openflow.session"
    assert 0.8 <= waited < 10
    # With the GIL held during the wait the thread would have ticked once or twice.
    during = [t for t in ticks if started + 0.1 < t < started + 0.9]
    assert len(during) >= 20, f"only {len(during)} ticks while connect() waited"


def test_threads_share_one_connection(net):
    plan = translator_for(net.topo, POLICIES).plan()
    transport = vtap.native_transport()
    errors: list[BaseException] = []
    results: list[vtap.SwitchPlan] = []
    with transport.connect(target(net, "s1")) as conn:
        conn.install(plan["s1"])

        def worker():
            try:
                for _ in range(20):
                    results.append(conn.read_state())
                    conn.stats()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 80 and all(r == plan["s1"] for r in results)


@requires(vtap.HAVE_OPENVSWITCH, "vtap._core was built without libopenvswitch (install openvswitch-source, configure with -DVTAP_WITH_OPENVSWITCH=ON)")
def test_the_openvswitch_transport_installs_what_the_native_one_reads(net):
    plan = translator_for(net.topo, POLICIES).plan()
    ovs_transport, native = vtap.openvswitch_transport(), vtap.native_transport()
    assert ovs_transport.name == "openvswitch"
    for s in plan:
        with ovs_transport.connect(target(net, s)) as c:
            assert c.install(plan[s]).summary != "no change"
            assert c.install(plan[s]).summary == "no change"
        with native.connect(target(net, s)) as c:
            assert c.read_state() == plan[s]
