"""vtapd's TaaS-compatible endpoints driven by openstacksdk unchanged (keystoneauth's
``admin_token`` plugin: a token and vtapd's URL as the endpoint): a tap service and a tap
flow become libvtap policies, real packets from the source port reach the monitor, deleting
the tap flow stops the copies; tenants see only their own TaaS resources.
"""
from __future__ import annotations

import json

import pytest

from prerequisites import missing
from test_apply_integration import switch_args
from topo_helpers import HOSTS, Network, tcp
from vtapd import ADMIN, TENANT_A, TENANT_B, Vtapd, two_tenants


def connect(url: str, token: str):
    try:
        import openstack  # noqa: PLC0415
    except ImportError:
        missing("openstacksdk is not installed (scripts/test.sh installs it from PyPI)")
    return openstack.connection.Connection(auth_type="admin_token", auth={"endpoint": url, "token": token})


@pytest.fixture
def taas(ovs, vtapctl, tmp_path):
    """vtapd with forwarding resubmit:1 over an L2 pipeline in table 1 (a tap flow has no
    receiver) on vtapd.two_tenants(); host names are Neutron port ids."""
    topo, doc = two_tenants()
    (tmp_path / "topology.json").write_text(json.dumps(doc))
    net = Network(ovs, topo)
    net.build(pipeline_table=1)
    daemon = Vtapd(vtapctl, tmp_path, tmp_path / "topology.json", switch_args(net), "--forwarding=resubmit:1")
    try:
        yield daemon, net
    finally:
        daemon.stop()


def copies_at(net: Network, monitor: str, frame: bytes) -> int:
    return net.deliver("vm1", frame)[monitor].count(frame)


def test_openstacksdk_drives_tap_services_and_flows(taas):
    daemon, net = taas
    conn = connect(daemon.url, TENANT_A)
    service = conn.network.create_tap_service(name="ids", port_id="vm3")
    assert service.port_id == "vm3" and service.project_id == "t1" and service.status == "ACTIVE"
    flow = conn.network.create_tap_flow(name="vm1-out", tap_service_id=service.id, source_port="vm1", direction="OUT")
    assert flow.direction == "OUT" and flow.tap_service_id == service.id
    assert [f.id for f in conn.network.tap_flows()] == [flow.id]
    assert conn.network.get_tap_service(service.id).name == "ids"

    # It is a libvtap policy now: vm1's traffic, to anyone, copied to vm3.
    policies = daemon.request("GET", "/v1/policies").json()["policies"]
    assert [(p["sender"]["mac"], p["receiver"], p["monitor"]["mac"]) for p in policies] == [
        (HOSTS["vm1"][0], "*", HOSTS["vm3"][0])]
    frame = tcp("vm1", "vm2", dport=80)
    got = net.deliver("vm1", frame)
    assert got["vm2"] == [frame] and got["vm3"] == [frame], {h: len(f) for h, f in got.items()}

    # Tenant t2 sees none of it, and cannot use t1's ports.
    other = connect(daemon.url, TENANT_B)
    assert list(other.network.tap_services()) == [] and list(other.network.tap_flows()) == []
    r = daemon.request("POST", "/v2.0/taas/tap_services", token=TENANT_B, json={"tap_service": {"port_id": "vm3"}})
    assert r.status_code == 404, r.text

    conn.network.delete_tap_flow(flow)
    got = net.deliver("vm1", frame)
    assert got["vm2"] == [frame] and got["vm3"] == [], {h: len(f) for h, f in got.items()}
    assert daemon.request("GET", "/v1/policies").json() == {"policies": []}
    conn.network.delete_tap_service(service)
    assert list(conn.network.tap_services()) == []


def test_direction_in_and_vlan_filter(taas):
    daemon, net = taas
    admin = connect(daemon.url, ADMIN)
    service = admin.network.create_tap_service(port_id="vm4")
    flow = admin.network.create_tap_flow(tap_service_id=service.id, source_port="vm2", direction="IN",
                                         vlan_filter="9,18-27")
    policies = daemon.request("GET", "/v1/policies").json()["policies"]
    # IN: every other VM as sender toward vm2 (not the monitor), one policy per VLAN block.
    senders = sorted({p["sender"]["mac"] for p in policies})
    assert senders == sorted(HOSTS[h][0] for h in ("vm1", "vm3", "vm5", "vm6"))
    assert sorted({p["filter"] for p in policies}) == sorted(
        ["dl_vlan=9", "vlan_vid=0x1012/0x1ffe", "vlan_vid=0x1014/0x1ffc", "vlan_vid=0x1018/0x1ffc"])
    frame = tcp("vm1", "vm2", dport=80, vlan=20)
    assert net.deliver("vm1", frame)["vm4"] == [frame]
    other_vlan = tcp("vm1", "vm2", dport=80, vlan=30)
    assert net.deliver("vm1", other_vlan)["vm4"] == []
    # A bad filter names the field; nothing is added.
    r = daemon.request("POST", "/v2.0/taas/tap_flows", json={"tap_flow": {
        "tap_service_id": service.id, "source_port": "vm1", "direction": "OUT", "vlan_filter": "9,30-20"}})
    assert r.status_code == 400 and r.json()["error"]["field"] == "tap_flow.vlan_filter", r.text
    assert len(daemon.request("GET", "/v1/policies").json()["policies"]) == len(policies)
    # Deleting the tap service deletes its flows and their policies.
    admin.network.delete_tap_service(service)
    assert list(admin.network.tap_flows()) == [] and flow.id
    assert daemon.request("GET", "/v1/policies").json() == {"policies": []}
