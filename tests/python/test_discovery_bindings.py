"""The bindings' OVSDB discovery: ``vtap.discover_topology``, ``vtap.host_changes`` and
``vtap.TopologyWatch`` against a real private Open vSwitch.

Each test starts its own ``ovsdb-server`` and ``ovs-vswitchd`` (the ``ovs`` fixture) and marks
VM interfaces the way Nova/Neutron and OVN do (``external_ids:attached-mac``, ``iface-id``,
``ip``); ovs-vswitchd assigns the ofports and datapath ids that discovery reads back.
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from prerequisites import requires
from vtap_import import import_vtap

vtap = import_vtap()

needs_openvswitch = requires(vtap.HAVE_OPENVSWITCH, "vtap._core was built without libopenvswitch "
                             "(install openvswitch-source, configure with -DVTAP_WITH_OPENVSWITCH=ON)")

Kind = vtap.HostChange.Kind

#: Longest wait for ovs-vswitchd and the database to report a change, in seconds.
DEADLINE = 20.0


def add_vm(bridge: str, name: str, ofport: int, mac: str, ip: str | None = None) -> list[str]:
    """The ovs-vsctl arguments that add VM interface ``name`` (a dummy port marked the
    OpenStack way) to ``bridge``; joined to other commands with ``--``."""
    return ["add-port", bridge, name, "--", "set", "interface", name, "type=dummy", f"ofport_request={ofport}",
            f"external_ids:attached-mac={mac}", f"external_ids:iface-id=port-{name}",
            f"external_ids:vm-uuid=uuid-{name}", *([f"external_ids:ip={ip}"] if ip else [])]


def vm_host(name: str, switch: str, port: int, mac: str, ip: str | None = None) -> "vtap.Host":
    return vtap.Host(name=f"port-{name}", mac=mac, ip=ip, switch_name=switch, port=port)


@pytest.fixture
def node(ovs):
    """Two dummy-datapath bridges joined by patch ports, VM vm1 on br-a, an uplink (not a VM)."""
    ovs.add_bridge("br-a", dpid=0xa, datapath_type="dummy")
    ovs.add_bridge("br-b", dpid=0xb, datapath_type="dummy")
    ovs.add_patch("br-a", "patch-ab", 10, "br-b", "patch-ba", 11)
    ovs.vsctl(*add_vm("br-a", "vm1", 1, "fa:00:00:00:00:01", "10.1.1.1"))
    ovs.check_ofport("vm1", 1)
    ovs.add_port("br-a", "uplink", 7)  # no attached-mac: not a host
    return ovs


def expected_hosts() -> list["vtap.Host"]:
    return [vm_host("vm1", "br-a", 1, "fa:00:00:00:00:01", "10.1.1.1")]


@needs_openvswitch
def test_discover_topology_reads_bridges_vm_interfaces_and_patch_links(node):
    topo = vtap.discover_topology([node.db])
    assert isinstance(topo, vtap.Topology)
    assert sorted(topo.switches) == [vtap.Switch(name="br-a", dpid=0xa), vtap.Switch(name="br-b", dpid=0xb)]
    assert topo.hosts == expected_hosts()
    assert topo.links == [vtap.Link(a=("br-a", 10), b=("br-b", 11))]
    host = topo.find_host("port-vm1")
    assert host is not None and host.ip == vtap.Ipv4Address("10.1.1.1") and host.port == 1
    # A tuple is a sequence too; the timeout is keyword-only, in seconds.
    assert vtap.discover_topology((node.db,), timeout=5.0).hosts == expected_hosts()
    with pytest.raises(TypeError):
        vtap.discover_topology([node.db], 5.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        vtap.discover_topology(node.db)  # type: ignore[arg-type]  # a str is not a list of databases


@needs_openvswitch
def test_topology_watch_reports_vms_added_moved_and_removed(node):
    seen: list[tuple[vtap.Topology, list[vtap.HostChange]]] = []
    watch = vtap.TopologyWatch([node.db], lambda topo, changes: seen.append((topo, changes)), timeout=5.0)
    assert watch.databases == [node.db]
    assert watch.topology.hosts == expected_hosts()
    assert node.db in repr(watch)

    def changes_after(n: int) -> list[vtap.HostChange]:
        """Polls (in short waits, up to DEADLINE) until on_change ran `n` times in all."""
        deadline = time.monotonic() + DEADLINE
        while len(seen) < n and time.monotonic() < deadline:
            calls = len(seen)
            assert watch.poll(0.1) == (len(seen) > calls)  # True exactly when it called on_change
        assert len(seen) == n, f"on_change was called {len(seen)} times within {DEADLINE} s, not {n}"
        topo, changes = seen[n - 1]
        # The callback gets the topology that .topology holds now.
        assert topo.hosts == watch.topology.hosts
        return changes

    node.vsctl(*add_vm("br-a", "vm2", 2, "fa:00:00:00:00:02", "10.1.1.2"))
    [added] = changes_after(1)
    assert added.kind is Kind.added and added.kind.name == "added"
    assert added.host == vm_host("vm2", "br-a", 2, "fa:00:00:00:00:02", "10.1.1.2")
    assert added.before is None
    assert watch.topology.find_host("port-vm2") == added.host

    # Moved: the VM's port goes to the other bridge in one transaction (as a live migration looks).
    node.vsctl("del-port", "br-a", "vm2", "--", *add_vm("br-b", "vm2", 5, "fa:00:00:00:00:02", "10.1.1.2"))
    [moved] = changes_after(2)
    assert moved.kind is Kind.moved
    assert (moved.host.switch_name, moved.host.port) == ("br-b", 5)
    assert moved.before is not None and (moved.before.switch_name, moved.before.port) == ("br-a", 2)
    assert "moved" in repr(moved) and "before" in repr(moved)

    node.vsctl("del-port", "br-b", "vm2")
    [removed] = changes_after(3)
    assert removed.kind is Kind.removed
    assert removed.host.name == "port-vm2" and removed.host.switch_name == "br-b"
    assert watch.topology.hosts == expected_hosts()
    # Nothing else changes: a poll without news returns False and calls nothing.
    assert watch.poll(0.0) is False
    assert len(seen) == 3


@needs_openvswitch
def test_poll_waits_without_holding_the_gil(node):
    # ovs-vswitchd writes interface statistics every 5 s, which would end a poll early.
    node.vsctl("set", "Open_vSwitch", ".", "other_config:stats-update-interval=3600000")
    watch = vtap.TopologyWatch([node.db], lambda topo, changes: None)
    polled = threading.Event()
    thread = threading.Thread(target=lambda: (watch.poll(5.0), polled.set()))
    start = time.monotonic()
    thread.start()
    time.sleep(0.2)  # returns only when this thread gets the GIL back
    woke = time.monotonic() - start
    thread.join(DEADLINE)
    assert polled.is_set()
    assert woke < 2.0, f"the main thread waited {woke:.1f} s for the GIL while poll() waited"
    # .topology from another thread while poll() waits: served once poll() is done, not torn.
    thread = threading.Thread(target=lambda: watch.poll(0.5))
    thread.start()
    assert watch.topology.hosts == expected_hosts()
    thread.join(DEADLINE)


@needs_openvswitch
def test_on_change_may_read_the_topology_and_its_exceptions_propagate(node):
    class Stop(Exception):
        pass

    inside: list[list[vtap.Host]] = []

    def on_change(topo, changes):
        inside.append(watch.topology.hosts)  # no deadlock: poll() holds the watch
        with pytest.raises(vtap.Error, match="its own on_change"):
            watch.poll(0.0)
        raise Stop(changes[0].host.name)

    watch = vtap.TopologyWatch([node.db], on_change)
    node.vsctl(*add_vm("br-b", "vm3", 3, "fa:00:00:00:00:03"))
    deadline = time.monotonic() + DEADLINE
    with pytest.raises(Stop, match="port-vm3"):
        while time.monotonic() < deadline:
            watch.poll(0.1)
    assert len(inside) == 1 and "port-vm3" in [h.name for h in inside[0]]
    # The watch moved on: the change is not reported again.
    assert watch.topology.find_host("port-vm3") is not None
    assert watch.poll(0.0) is False


@needs_openvswitch
def test_host_changes_compares_two_topologies_by_host_name():
    switches = [vtap.Switch(name="s1", dpid=1), vtap.Switch(name="s2", dpid=2)]
    vm1 = vm_host("vm1", "s1", 1, "fa:00:00:00:00:01")
    vm2 = vm_host("vm2", "s1", 2, "fa:00:00:00:00:02")
    vm2_moved = vm_host("vm2", "s2", 2, "fa:00:00:00:00:02")
    vm3 = vm_host("vm3", "s2", 3, "fa:00:00:00:00:03")
    before = vtap.Topology(switches=switches, hosts=[vm1, vm2])
    after = vtap.Topology(switches=switches, hosts=[vm3, vm2_moved])
    changes = vtap.host_changes(before, after)
    assert [(c.kind, c.host, c.before) for c in changes] == [
        (Kind.removed, vm1, None), (Kind.moved, vm2_moved, vm2), (Kind.added, vm3, None)]
    assert vtap.host_changes(after, after) == []
    assert changes[0] == vtap.host_changes(before, after)[0] and changes[0] != changes[1]


@needs_openvswitch
def test_an_unreachable_database_is_named_in_the_error(ovs, tmp_path):
    missing = f"unix:{tmp_path}/no-such-db.sock"
    start = time.monotonic()
    with pytest.raises(vtap.Error, match=re.escape(f"OVSDB {missing}: no answer within 500 ms")):
        vtap.discover_topology([ovs.db, missing], timeout=0.5)
    with pytest.raises(vtap.Error, match=re.escape(f"OVSDB {missing}: no answer")):
        vtap.TopologyWatch([missing], lambda topo, changes: None, timeout=0.5)
    assert time.monotonic() - start < DEADLINE
    with pytest.raises(vtap.Error, match="no database given"):
        vtap.discover_topology([])
    with pytest.raises(ValueError, match="timeout"):
        vtap.discover_topology([ovs.db], timeout=-1.0)


def test_every_build_has_the_names_and_without_libopenvswitch_they_say_what_is_missing():
    for name in ("discover_topology", "host_changes", "HostChange", "TopologyWatch"):
        assert name in vtap.__all__ and getattr(vtap, name) is getattr(vtap._core, name)
    if vtap.HAVE_OPENVSWITCH:
        return  # the tests above use them
    with pytest.raises(vtap.Error, match="discover_topology: .*built without libopenvswitch"):
        vtap.discover_topology(["unix:/run/openvswitch/db.sock"])
    with pytest.raises(vtap.Error, match="host_changes: .*built without libopenvswitch"):
        vtap.host_changes(vtap.Topology(), vtap.Topology())
    with pytest.raises(vtap.Error, match="TopologyWatch: .*built without libopenvswitch"):
        vtap.TopologyWatch(["unix:/run/openvswitch/db.sock"], lambda topo, changes: None)
