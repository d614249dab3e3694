"""TaaS tap mirrors through vtapd: copies of a port's traffic to a remote analyzer over GRE
and ERSPAN v1, as openstacksdk creates them. Open vSwitch's own ``gre`` and ``erspan`` ports
encapsulate (the sandbox's tunnel mode), and tshark, not our code, decodes what left on the
underlay: the GRE key, the ERSPAN version, session id and index (TaaS's OVS driver gives
``erspan_idx`` the direction's id read as hexadecimal: ``102`` is index 0x102 = 258), and the
inner frame, byte for byte the original.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from scapy.utils import wrpcap

from prerequisites import missing
from test_api_taas import connect
from test_apply_integration import switch_args
from topo_helpers import Network, tcp, topology
from vtapd import ADMIN, Vtapd

COLLECTOR_IP, COLLECTOR_MAC = "192.0.2.9", "aa:bb:cc:00:00:09"
UNDERLAY_IP = "192.0.2.1"
GRE_PORT, ERSPAN_PORT = 21, 22


@pytest.fixture
def mirrors(ovs_tunnels, vtapctl, tmp_path):
    """vm1..vm4 on s1, which has a flow-based gre and erspan port, an underlay toward the
    collector, and an L2 pipeline in table 1 (a mirror has no receiver)."""
    ovs = ovs_tunnels
    topo = topology("1sw")
    net = Network(ovs, topo)
    net.build(pipeline_table=1)
    ovs.vsctl("add-port", "s1", "s1-gre", "--", "set", "interface", "s1-gre", "type=gre", "options:remote_ip=flow",
              "options:key=flow", f"ofport_request={GRE_PORT}")
    ovs.vsctl("add-port", "s1", "s1-erspan", "--", "set", "interface", "s1-erspan", "type=erspan",
              "options:remote_ip=flow", "options:key=flow", "options:erspan_ver=flow", "options:erspan_idx=flow",
              f"ofport_request={ERSPAN_PORT}")
    ovs.check_ofport("s1-gre", GRE_PORT)
    ovs.check_ofport("s1-erspan", ERSPAN_PORT)
    ovs.add_underlay("ul", f"{UNDERLAY_IP}/24", "eth0", 1, neighbors={COLLECTOR_IP: COLLECTOR_MAC})
    doc = topo.to_json()
    doc["switches"][0]["tunnel_ports"] = {"gre": GRE_PORT, "erspan": ERSPAN_PORT}
    (tmp_path / "topology.json").write_text(json.dumps(doc))
    daemon = Vtapd(vtapctl, tmp_path, tmp_path / "topology.json", switch_args(net), "--forwarding=resubmit:1")
    try:
        yield daemon, net, ovs
    finally:
        daemon.stop()


def tshark(frames: list[bytes], tmp_path, *fields: str) -> list[dict[str, str]]:
    """tshark's decoding of `frames`: one dict of `fields` per frame."""
    binary = shutil.which("tshark")
    if binary is None:
        missing("tshark is not installed (scripts/test.sh installs it)")
    pcap = tmp_path / "underlay.pcap"
    wrpcap(str(pcap), frames)
    out = subprocess.run([binary, "-r", str(pcap), "-T", "json", "-x", *[a for f in fields for a in ("-e", f)]],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    rows = []
    for packet in json.loads(out):
        layers = packet["_source"]["layers"]
        rows.append({f: layers[f] for f in layers})
    return rows


def test_erspan_and_gre_mirrors_decoded_by_tshark(mirrors, tmp_path):
    daemon, net, ovs = mirrors
    conn = connect(daemon.url, ADMIN)
    erspan = conn.network.create_tap_mirror(name="ids", port_id="vm1", directions={"OUT": "102"},
                                            remote_ip=COLLECTOR_IP, mirror_type="erspanv1")
    gre = conn.network.create_tap_mirror(port_id="vm2", directions={"IN": 7}, remote_ip=COLLECTOR_IP,
                                         mirror_type="gre")
    assert erspan.mirror_type == "erspanv1" and gre.directions == {"IN": "7"}
    assert sorted(m.id for m in conn.network.tap_mirrors()) == sorted([erspan.id, gre.id])

    # vm1 -> vm3: what vm1 sends (OUT) is mirrored over ERSPAN; vm2 is not involved.
    out_frame = tcp("vm1", "vm3", dport=80)
    ovs.clear_captures()
    ovs.send("vm1", out_frame)
    assert ovs.packets_out("vm3") == [out_frame]
    # vm4 -> vm2: what vm2 receives (IN) is mirrored over GRE with key 7.
    in_frame = tcp("vm4", "vm2", dport=443)
    ovs.send("vm4", in_frame)
    assert ovs.packets_out("vm2") == [in_frame]
    underlay = ovs.packets_out("eth0")
    assert len(underlay) == 2, [len(f) for f in underlay]

    rows = tshark(underlay, tmp_path, "ip.dst", "gre.proto", "gre.key", "erspan.version", "erspan.spanid",
                  "erspan.index", "eth.src", "eth.dst")
    by_proto = {r["gre.proto"][0]: r for r in rows}
    ers = by_proto["0x88be"]  # ERSPAN type II
    assert ers["ip.dst"][0] == COLLECTOR_IP
    assert ers["erspan.version"] == ["1"] and ers["erspan.spanid"] == ["102"] and ers["erspan.index"] == ["258"], ers
    assert ers["eth.src"][-1] == "fa:00:00:00:00:01" and ers["eth.dst"][-1] == "fa:00:00:00:00:03"
    plain = by_proto["0x6558"]  # transparent Ethernet bridging: GRE
    assert plain["ip.dst"][0] == COLLECTOR_IP and plain["gre.key"] == ["0x00000007"], plain
    assert plain["eth.src"][-1] == "fa:00:00:00:00:04" and plain["eth.dst"][-1] == "fa:00:00:00:00:02"
    # The inner frames are the originals, byte for byte.
    assert any(f.endswith(out_frame) for f in underlay) and any(f.endswith(in_frame) for f in underlay)

    # Deleting a mirror stops its copies.
    conn.network.delete_tap_mirror(erspan)
    ovs.clear_captures()
    ovs.send("vm1", out_frame)
    assert ovs.packets_out("vm3") == [out_frame] and ovs.packets_out("eth0") == []
    assert [m.id for m in conn.network.tap_mirrors()] == [gre.id]


def test_bad_mirrors_name_the_field(mirrors):
    daemon, _, _ = mirrors
    cases = [({"directions": {"IN": "x"}}, "tap_mirror.directions.IN"),
             ({"directions": {"SIDEWAYS": 1}}, "tap_mirror.directions.SIDEWAYS"),
             ({"mirror_type": "vxlan"}, "tap_mirror.mirror_type"),
             ({"remote_ip": "300.1.1.1"}, "tap_mirror.remote_ip"),
             ({"directions": {"OUT": 2000}}, "tap_mirror.directions.OUT")]
    for change, field in cases:
        body = {"port_id": "vm1", "directions": {"OUT": 5}, "remote_ip": COLLECTOR_IP, "mirror_type": "erspanv1"}
        body.update(change)
        r = daemon.request("POST", "/v2.0/taas/tap_mirrors", json={"tap_mirror": body})
        assert r.status_code == 400 and r.json()["error"]["field"] == field, (change, r.text)
    assert daemon.request("GET", "/v1/policies").json() == {"policies": []}
