"""Scale-out (docs/cluster.md) on real processes: a three-server Raft VTAP database
(``ovsdb-server``), compute nodes each with its own ``ovs-vswitchd`` and ``vtapctl agent``, and
``vtapctl serve --store ovsdb:...`` API servers.

The oracles are Open vSwitch's: every switch ends holding exactly what ``vtapctl compile`` of
the final policy set gives for it (loaded by ``ovs-ofctl`` into a scratch bridge), the
database holds exactly the acknowledged policies (``ovsdb-client`` through the cluster), and
frames injected at a sender's port are (or are not) copied onto the tunnel toward the monitor.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Dot1Q, Ether

from prerequisites import missing
from vtap_import import import_vtap

import_vtap()
from vtap.cluster_farm import ADMIN, TOKENS, ClusterFarm, tap, vm_ip, vm_mac  # noqa: E402
from vtap.sandbox import ovs_installed  # noqa: E402

TENANT_A = "tenant-a-token-01"
TENANT_B = "tenant-b-token-02"


@pytest.fixture
def make_farm(vtapctl):
    if not ovs_installed():
        missing("Open vSwitch (ovsdb-server, ovs-vswitchd) is not installed")
    farms = []

    def make(**kwargs) -> ClusterFarm:
        farm = ClusterFarm(vtapctl, **kwargs)
        farms.append(farm)
        farm.start()
        return farm

    yield make
    for farm in farms:
        farm.stop()


def api(url: str, method: str, path: str, token: str = ADMIN, **kwargs) -> requests.Response:
    return requests.request(method, url + path, headers={"Authorization": f"Bearer {token}"}, timeout=90, **kwargs)


def frame(sender: tuple[int, int], receiver: tuple[int, int], dport: int = 80) -> bytes:
    return bytes(Ether(src=vm_mac(*sender), dst=vm_mac(*receiver)) / IP(src=vm_ip(*sender), dst=vm_ip(*receiver))
                 / TCP(sport=40000, dport=dport, flags="PA") / b"vtap")


def compiled(farm: ClusterFarm, url: str, workdir: Path) -> dict[int, tuple]:
    """The oracle: ``vtapctl compile`` of what vtapd serves, with the database's marks."""
    return farm.compiled(api(url, "GET", "/v1/topology").text, api(url, "GET", "/v1/policies").text, workdir)


def test_changes_start_copies_only_once_the_path_can_carry_them(make_farm, tmp_path):
    """Make-before-break across nodes: while the monitor's agent is stopped, a new policy stays
    prepared and its sender's node sends no copy; a removal stops the copies at the sender
    before the monitor's node drops its recovery rule."""
    farm = make_farm(nodes=3)
    url = farm.start_vtapd()
    sender, receiver, monitor = (1, 1), (2, 1), (3, 1)
    farm.agents[3].pause()  # node 3 cannot acknowledge
    try:
        r = api(url, "POST", "/v1/policies", json=tap(sender, receiver, monitor))
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        time.sleep(1.5)  # node 1 has long applied whatever it was told
        farm.nodes[1].send("vm1-1", frame(sender, receiver))
        assert farm.nodes[1].packets_out("tun3") == [], "a copy left before node 3 could recover it"
        assert farm.dump(1)[0] == []
    finally:
        farm.agents[3].resume()
    assert api(url, "GET", f"/v1/policies/{pid}").status_code == 200
    farm.nodes[1].clear_captures()
    # ?wait=applied returns once the change is on every node it touches.
    r = api(url, "PUT", f"/v1/policies/{pid}?wait=applied", json=tap(sender, receiver, monitor, filter="tcp"))
    assert r.status_code == 200, r.text
    farm.nodes[1].send("vm1-1", frame(sender, receiver))
    copies = farm.nodes[1].packets_out("tun3")
    assert len(copies) == 1 and Ether(copies[0])[Dot1Q].vlan == 3000
    assert any("dl_vlan=3000" in f for f in farm.dump(3)[0])

    farm.agents[1].pause()  # the sender's node cannot acknowledge the removal
    try:
        assert api(url, "DELETE", f"/v1/policies/{pid}").status_code == 204
        time.sleep(1.5)
        assert any("dl_vlan=3000" in f for f in farm.dump(3)[0]), "recovery went before the copies stopped"
    finally:
        farm.agents[1].resume()
    farm.wait_settled()
    assert farm.dump(1)[0] == [] and farm.dump(3)[0] == []
    assert farm.cluster.select("Policy") == [] and farm.cluster.select("Mark") == []


def test_two_vtapds_stream_changes_while_the_leader_is_killed(make_farm, tmp_path):
    """200 creates, modifies and removes through two vtapds; the Raft leader is killed after
    the 60th and restarted after the 120th. At the end the database holds exactly the
    acknowledged policies and every switch exactly its part of their compiled plan."""
    farm = make_farm(nodes=6)
    urls = [farm.start_vtapd(), farm.start_vtapd()]
    expected = farm.stream(urls, changes=200, kill_at=60, restart_at=120)
    farm.wait_settled()
    for url in urls:
        assert {p["id"]: p for p in api(url, "GET", "/v1/policies").json()["policies"]} == expected
    rows = farm.cluster.select("Policy")
    assert sorted(row["policy_id"] for row in rows) == sorted(expected)
    assert all(json.loads(row["spec"]) == expected[row["policy_id"]] for row in rows)
    oracle = compiled(farm, urls[0], tmp_path / "oracle")
    for i in farm.nodes:
        assert farm.dump(i) == oracle[i], f"node {i}"
    # A tenant sees its own policies only, through either vtapd.
    assert api(urls[1], "GET", "/v1/policies", token=TENANT_A).json()["policies"] == \
        [p for p in expected.values() if p["tenant"] == "t1"]


def test_agent_restart_switch_restart_and_a_stopped_follower(make_farm, tmp_path):
    farm = make_farm(nodes=3)
    url = farm.start_vtapd()
    for s, r, m in [((1, 1), (2, 1), (3, 1)), ((2, 1), (3, 1), (1, 1)), ((3, 1), (1, 1), (2, 1))]:
        assert api(url, "POST", "/v1/policies?wait=applied", json=tap(s, r, m)).status_code == 201
    before = {i: farm.dump(i) for i in farm.nodes}

    # An agent is killed: its switch keeps tapping; restarted, it changes nothing.
    farm.kill_agent(1)
    farm.nodes[1].send("vm1-1", frame((1, 1), (2, 1)))
    assert len(farm.nodes[1].packets_out("tun3")) == 1
    offset = farm.restart_agent(1)
    farm.agents[1].wait_for(r"applied generation|published node", after=offset)
    time.sleep(2.5)  # two reconciliations
    assert "switch node1.br-int:" not in farm.agents[1].text()[offset:]
    assert farm.dump(1) == before[1]

    # A switch restarts empty: its agent puts its part back.
    farm.nodes[2].crash_and_restart_vswitchd()
    deadline = time.monotonic() + 15
    while farm.dump(2) != before[2]:
        assert time.monotonic() < deadline, "node 2 was not repaired"
        time.sleep(0.2)

    # A follower is stopped and resumed: changes go on meanwhile.
    follower = next(i for i in range(3) if i != farm.cluster.leader())
    farm.cluster.pause(follower)
    try:
        r = api(url, "POST", "/v1/policies?wait=applied", json=tap((1, 2), (2, 2), (3, 2), tenant="t2"))
        assert r.status_code == 201, r.text
    finally:
        farm.cluster.resume(follower)
    assert api(url, "DELETE", f"/v1/policies/{r.json()['id']}?wait=applied").status_code == 204
    farm.wait_settled()
    oracle = compiled(farm, url, tmp_path / "oracle")
    assert {i: farm.dump(i) for i in farm.nodes} == oracle


def test_cluster_commands(make_farm, vtapctl, tmp_path):
    """`vtapctl schema`, `add --wait` over --server, a write another vtapd sees, and errors."""
    assert Path(subprocess.run([vtapctl, "schema"], check=True, capture_output=True, text=True).stdout.strip()) == \
        (Path(__file__).resolve().parents[2] / "schema" / "vtap.ovsschema")
    farm = make_farm(nodes=2, vms=3)
    a, b = farm.start_vtapd(), farm.start_vtapd()
    policies = tmp_path / "p.json"
    policies.write_text(json.dumps({"policies": [tap((1, 1), (2, 1), (2, 3))]}))
    out = subprocess.run([vtapctl, "add", "--wait", "--policies", policies, "--server", a, "--token", ADMIN],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [p["sender"]["mac"] for p in api(b, "GET", "/v1/policies").json()["policies"]] == [vm_mac(1, 1)]
    assert any("dl_vlan" in f or "group" in f for f in farm.dump(1)[0])
    # A VM of another tenant, an unknown monitor: clear errors.
    r = api(a, "POST", "/v1/policies", token=TENANT_A, json=tap((1, 2), (2, 1), (2, 3)))
    assert r.status_code == 403 and "sender" in r.json()["error"]["message"]
    r = api(a, "POST", "/v1/policies", json=tap((1, 1), (2, 1), (9, 9)))
    assert r.status_code == 400 and "monitor" in r.json()["error"]["message"]
    # Counters (published by the agents): every active policy is there, a tenant's own only.
    r = api(a, "GET", "/v1/stats")
    assert r.status_code == 200 and [s["id"] for s in r.json()["stats"]] == [1], r.text
    assert [s["id"] for s in api(a, "GET", "/v1/stats", token=TENANT_A).json()["stats"]] == [1]
    assert api(a, "GET", "/v1/stats", token=TENANT_B).json()["stats"] == []
    assert api(a, "GET", "/metrics").status_code == 200
    # What vtapd's translator of every policy answers: explain, and whether a policy is active.
    r = api(b, "POST", "/v1/explain", json={"packet": f"dl_src={vm_mac(1, 1)},dl_dst={vm_mac(2, 1)}"})
    assert r.status_code == 200, r.text
    assert [c["policies"] for c in r.json()["copies"]] == [[1]]
    assert api(b, "GET", "/v1/policies/1/stats").json()["active"] is True
    assert set(TOKENS) >= {ADMIN, TENANT_A}
