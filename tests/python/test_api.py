"""vtapd's HTTP API against a real ovs-vswitchd: policies created, modified and removed over
HTTP land on the switches (``ovs-ofctl`` decides), tokens and tenants are enforced, bad input
changes nothing, counters reach ``/metrics`` (parsed by prometheus_client), events stream, and
no input ends the daemon or stalls other clients.
"""
from __future__ import annotations

import json
import socket
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from prerequisites import missing
from test_apply_integration import dump_state, reference_state, switch_args
from topo_helpers import Network, compile_policies, policy, tcp, topology
from vtapd import ADMIN, TENANT_A, TENANT_B, TOKENS, Vtapd, two_tenants

P1 = policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80")


@pytest.fixture
def api(ovs, vtapctl, tmp_path):
    """vtapd on vtapd.two_tenants()."""
    topo, doc = two_tenants()
    (tmp_path / "topology.json").write_text(json.dumps(doc))
    net = Network(ovs, topo)
    net.build()
    daemon = Vtapd(vtapctl, tmp_path, tmp_path / "topology.json", switch_args(net))
    try:
        yield daemon, net, doc
    finally:
        daemon.stop()


def compiled_state(vtapctl, tmp_path, net, doc, policies) -> dict:
    """What ``vtapctl compile`` gives for ``policies``, per switch (the oracle of the API's installs)."""
    out = tmp_path / "reference"
    out.mkdir(exist_ok=True)
    result = compile_policies(vtapctl, out, doc, policies)
    assert result.returncode == 0, result.stderr
    return {s: reference_state(net, out / "out", s) for s in net.topo.switches}


def installed(net) -> dict:
    return {s: dump_state(net, s) for s in net.topo.switches}


def test_create_modify_remove_over_http(api, vtapctl, tmp_path):
    daemon, net, doc = api
    r = daemon.request("POST", "/v1/policies", json=P1)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/v1/policies/1"
    assert r.json() == P1
    assert installed(net) == compiled_state(vtapctl, tmp_path, net, doc, [P1])
    assert daemon.request("GET", "/v1/policies").json() == {"policies": [P1]}
    assert daemon.request("GET", "/v1/policies/1").json() == P1

    modified = dict(P1, filter="tcp,tp_dst=443")
    r = daemon.request("PUT", "/v1/policies/1", json=modified)
    assert r.status_code == 200 and r.json() == modified, r.text
    assert installed(net) == compiled_state(vtapctl, tmp_path, net, doc, [modified])

    r = daemon.request("DELETE", "/v1/policies/1")
    assert r.status_code == 204 and r.text == ""
    assert all(state[0] == [] and state[1] == [] for state in installed(net).values())
    assert daemon.request("GET", "/v1/policies/1").status_code == 404
    assert daemon.request("DELETE", "/v1/policies/1").status_code == 404
    # A removed policy's id is not handed out again.
    r = daemon.request("POST", "/v1/policies", json={k: v for k, v in P1.items() if k != "id"})
    assert r.status_code == 201 and r.json()["id"] == 2, r.text


def test_import_of_onos_vtaps(api):
    daemon, net, _ = api
    vtap = {"type": "tx", "criterion": {"srcIp": "10.1.1.1/32", "dstIp": "10.1.1.2", "ipProto": "tcp",
                                         "srcPort": "0", "dstPort": "80"}}
    r = daemon.request("POST", "/v1/import/onos", json={"monitor": {"ip": "10.1.1.3"}, "vtap": vtap})
    assert r.status_code == 201, r.text
    (policy,) = r.json()["policies"]
    assert (policy["sender"], policy["receiver"], policy["monitor"], policy["filter"]) == (
        {"ip": "10.1.1.1"}, {"ip": "10.1.1.2"}, {"ip": "10.1.1.3"}, "tcp,tp_dst=80")
    frame = tcp("vm1", "vm2", dport=80)
    assert net.deliver("vm1", frame)["vm3"] == [frame]
    # As ONOS lists them, all or none; errors name the field.
    bad = {"monitor": {"ip": "10.1.1.3"}, "vtaps": [dict(vtap, type="all"), {"type": "rx", "criterion": {"srcIp": "x"}}]}
    r = daemon.request("POST", "/v1/import/onos", json=bad)
    assert r.status_code == 400 and r.json()["error"]["field"] == "vtaps[1].criterion.srcIp", r.text
    assert len(daemon.request("GET", "/v1/policies").json()["policies"]) == 1


def test_a_batch_is_all_or_nothing_and_bad_input_names_the_field(api):
    daemon, net, _ = api
    before = installed(net)
    bad_mac = dict(P1, sender={"mac": "fa:00:00:00:00:zz"})
    cases = [
        ({"json": bad_mac}, "sender.mac"),
        ({"json": {"policies": [P1, dict(P1, id=2, monitor={"mac": "nope"})]}}, "policies[1].monitor.mac"),
        ({"json": dict(P1, colour="red")}, "colour"),
        ({"json": dict(P1, filter="tcp,tp_dst=99999")}, "filter"),
        ({"data": b"{not json"}, None),
        ({"data": b'{"name": "\xff\xfe"}'}, None),
        ({"data": b"[]"}, None),
    ]
    for kwargs, field in cases:
        r = daemon.request("POST", "/v1/policies", **kwargs)
        assert r.status_code == 400, (kwargs, r.text)
        error = r.json()["error"]
        assert error["message"]
        assert error.get("field") == field, error
    assert daemon.request("GET", "/v1/policies").json() == {"policies": []}
    assert installed(net) == before

    # PUT names its policy in the path; a different id in the body is refused.
    assert daemon.request("POST", "/v1/policies", json=P1).status_code == 201
    r = daemon.request("PUT", "/v1/policies/1", json=dict(P1, id=7))
    assert r.status_code == 400 and r.json()["error"]["field"] == "id"
    r = daemon.request("PUT", "/v1/policies/1", json=bad_mac)
    assert r.status_code == 400 and r.json()["error"]["field"] == "sender.mac"
    assert daemon.request("GET", "/v1/policies/1").json() == P1
    # Too large a body, an unknown resource, a method a resource does not take.
    assert daemon.request("POST", "/v1/policies", data=b" " * (2 << 20)).status_code == 413
    assert daemon.request("GET", "/v1/nothing").status_code == 404
    r = daemon.request("PATCH", "/v1/policies/1", json=P1)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, PUT, DELETE"
    assert daemon.alive()


def test_a_group_of_another_controller_is_refused_with_nothing_changed(api):
    """409 when vtapd read the switch since the foreign group appeared (reconciliation every
    200 ms: it knows the id is taken), else the switch refuses the bundle: 502 naming the rule."""
    daemon, net, _ = api
    # Another controller uses the group id libvtap would give policy 1 on s1 (0xe0000000).
    net.ovs.ofctl("-O", "OpenFlow15", "add-group", "s1", "group_id=3758096384,type=all,bucket=actions=output:4")
    net.ovs.ofctl("-O", "OpenFlow15", "add-flow", "s1", "cookie=0x7,priority=5,dl_dst=fa:00:00:00:00:09,actions=group:3758096384")
    before = installed(net)
    r = daemon.request("POST", "/v1/policies", json=P1)
    message = r.json()["error"]["message"]
    if r.status_code == 409:
        assert "group 0xe0000000 is used by flow" in message and "cookie=0x7" in message, message
    else:
        assert r.status_code == 502 and "s1.mgmt" in message and "group_id=3758096384" in message, r.text
    assert installed(net) == before
    assert daemon.request("GET", "/v1/policies").json() == {"policies": []}


def test_tls(ovs, vtapctl, tmp_path):
    """--tls-cert/--tls-key: the API over https, checked against the certificate; plain HTTP gets nothing."""
    import requests  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    if shutil.which("openssl") is None:
        missing("openssl is not installed (scripts/test.sh installs it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    topo = topology("2sw-monitor-at-receiver")
    (tmp_path / "topology.json").write_text(json.dumps(topo.to_json()))
    net = Network(ovs, topo)
    net.build()
    daemon = Vtapd(vtapctl, tmp_path, tmp_path / "topology.json", switch_args(net),
                   "--tls-cert", str(cert), "--tls-key", str(key), scheme="https")
    try:
        r = requests.get(daemon.url + "/v1/policies", headers={"Authorization": f"Bearer {ADMIN}"}, verify=str(cert),
                         timeout=10)
        assert r.status_code == 200 and r.json() == {"policies": []}
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(daemon.url.replace("https://", "http://") + "/v1/policies", timeout=10)
        assert daemon.proc.poll() is None
    finally:
        daemon.stop()


def test_tokens_and_tenants(api):
    daemon, net, _ = api
    r = daemon.request("GET", "/v1/policies", token=None)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert daemon.request("GET", "/v1/policies", token="not-a-known-token").status_code == 401
    assert daemon.request("GET", "/metrics", token=None).status_code == 401
    assert daemon.request("GET", "/openapi.json", token=None).status_code == 200
    # OpenStack clients send X-Auth-Token.
    assert daemon.request("GET", "/v1/policies", token=None, headers={"X-Auth-Token": TENANT_A}).status_code == 200

    assert daemon.request("GET", "/v1/whoami", token=TENANT_B).json() == {"administrator": False, "tenant": "t2"}
    assert daemon.request("GET", "/v1/whoami").json() == {"administrator": True, "tenant": None}
    # Tenant t1 taps its own VMs; its policy gets t1 as tenant.
    mine = {k: v for k, v in P1.items() if k not in ("id", "tenant")}
    r = daemon.request("POST", "/v1/policies", token=TENANT_A, json=mine)
    assert r.status_code == 201 and r.json()["tenant"] == "t1", r.text
    pid = r.json()["id"]
    # Tenant t2 cannot see, count, change or remove it, and cannot tap t1's VMs.
    assert daemon.request("GET", "/v1/policies", token=TENANT_B).json() == {"policies": []}
    for method in ("GET", "PUT", "DELETE"):
        r = daemon.request(method, f"/v1/policies/{pid}", token=TENANT_B, json=mine)
        assert r.status_code == 404, (method, r.text)
    assert daemon.request("GET", f"/v1/policies/{pid}/stats", token=TENANT_B).status_code == 404
    assert daemon.request("GET", "/v1/stats", token=TENANT_B).json() == {"stats": []}
    assert f'policy="{pid}"' not in daemon.request("GET", "/metrics", token=TENANT_B).text
    r = daemon.request("POST", "/v1/policies", token=TENANT_B,
                       json=dict(mine, sender={"mac": "fa:00:00:00:00:05"}, monitor={"mac": "fa:00:00:00:00:06"}))
    assert r.status_code == 403 and r.json()["error"]["field"] == "receiver", r.text
    assert "vm2" in r.json()["error"]["message"]
    r = daemon.request("POST", "/v1/policies", token=TENANT_B, json=dict(mine, tenant="t1"))
    assert r.status_code == 403 and r.json()["error"]["field"] == "tenant"
    # ... and sees only its own VMs and no switch status.
    hosts = daemon.request("GET", "/v1/topology", token=TENANT_B).json()["hosts"]
    assert sorted(h["name"] for h in hosts) == ["vm4", "vm5", "vm6"]
    assert daemon.request("GET", "/v1/switches", token=TENANT_B).status_code == 403
    # t2's own policy works; the administrator sees both.
    r = daemon.request("POST", "/v1/policies", token=TENANT_B,
                       json={"sender": {"mac": "fa:00:00:00:00:05"}, "receiver": {"mac": "fa:00:00:00:00:06"},
                             "monitor": {"mac": "fa:00:00:00:00:04"}, "filter": "udp"})
    assert r.status_code == 201, r.text
    assert [p["tenant"] for p in daemon.request("GET", "/v1/policies").json()["policies"]] == ["t1", "t2"]
    switches = daemon.request("GET", "/v1/switches").json()["switches"]
    assert [(s["name"], s["connected"]) for s in switches] == [("s1", True), ("s2", True)]

    daemon.stop()
    log = daemon.log.read_text(errors="replace")
    assert "POST /v1/policies 201" in log
    for token in TOKENS:
        assert token not in log


def test_counters_metrics_and_explain(api):
    daemon, net, _ = api
    assert daemon.request("POST", "/v1/policies", json=P1).status_code == 201
    for _ in range(3):
        net.deliver("vm1", tcp("vm1", "vm2", dport=80))
    net.ovs.appctl("revalidator/purge")
    stats = daemon.request("GET", "/v1/policies/1/stats").json()
    assert (stats["packets"], stats["copies"], stats["active"]) == (3, 3, True), stats
    assert daemon.request("GET", "/v1/stats").json()["stats"] == [stats]

    families = {f.name: f for f in text_string_to_metric_families(daemon.request("GET", "/metrics").text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    labels = (("name", "policy1"), ("policy", "1"), ("tenant", "t1"))
    assert samples[("vtap_policy_packets_total", labels)] == 3
    assert samples[("vtap_policy_copies_total", labels)] == 3
    assert samples[("vtap_policy_active", labels)] == 1
    assert samples[("vtap_switch_connected", (("switch", "s1"),))] == 1
    assert samples[("vtap_switch_reconciliations_total", (("switch", "s2"),))] >= 1
    assert samples[("vtap_apply_duration_seconds_count", ())] == 1
    assert families["vtap_apply_duration_seconds"].type == "histogram"

    r = daemon.request("POST", "/v1/explain", json={"packet": "tcp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,"
                                                              "nw_src=10.1.1.1,nw_dst=10.1.1.2,tp_dst=80"})
    assert r.status_code == 200, r.text
    assert r.json()["copies"] == [{"target": "vm3", "policies": [1]}]
    assert "vm3" in r.json()["delivered"]
    r = daemon.request("POST", "/v1/explain", json={"packet": "tcp,tp_dst=80"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "packet"


def read_events(sock: socket.socket, seconds: float) -> str:
    sock.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def open_events(daemon: Vtapd, token: str) -> socket.socket:
    host, port = daemon.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    return sock


def test_events_are_streamed_to_whom_may_see_them(api):
    daemon, net, _ = api
    admin, other = open_events(daemon, ADMIN), open_events(daemon, TENANT_B)
    try:
        assert "text/event-stream" in read_events(admin, 0.5)
        assert daemon.request("POST", "/v1/policies", json=P1).status_code == 201
        seen = read_events(admin, 1.5)
        assert "event: applied" in seen and '"policy":1' in seen and '"tenant":"t1"' in seen, seen
        assert "event: applied" not in read_events(other, 0.5)
        net.ovs.ofctl("del-flows", "s2", "cookie=0x7674000000000000/0xffff000000000000")
        assert "event: drift_repaired" in read_events(admin, 2.0)
    finally:
        admin.close()
        other.close()


def test_no_input_ends_the_daemon_or_stalls_other_clients(api):
    daemon, _, _ = api
    host, port = daemon.url.removeprefix("http://").rsplit(":", 1)
    # A client that sends half a request and waits does not hold up the others.
    slow = socket.create_connection((host, int(port)))
    slow.sendall(b"POST /v1/policies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    started = time.monotonic()
    assert daemon.request("GET", "/v1/policies").status_code == 200
    assert time.monotonic() - started < 5
    for garbage in (b"\xff\xfe\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
                    b"POST /v1/policies HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                    b"POST /v1/policies HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        for where in ("tcp", "unix"):
            s = socket.socket(socket.AF_UNIX) if where == "unix" else socket.socket()
            s.connect(str(daemon.socket) if where == "unix" else (host, int(port)))
            s.sendall(garbage)
            s.settimeout(5)
            try:
                reply = s.recv(4096)
            except (socket.timeout, ConnectionResetError):
                reply = b""
            s.close()
            assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), (garbage, reply)
            assert daemon.alive(), garbage
    slow.close()


def test_vtapctl_talks_to_the_api(api, vtapctl, tmp_path):
    daemon, _, _ = api
    import subprocess  # noqa: PLC0415

    (tmp_path / "p.json").write_text(json.dumps({"policies": [P1]}))
    run = lambda *a: subprocess.run([str(vtapctl), *a], capture_output=True, text=True, timeout=60)  # noqa: E731
    assert "added policy 1" in run("add", "--policies", str(tmp_path / "p.json"), "--state", str(daemon.state)).stdout
    (tmp_path / "m.json").write_text(json.dumps({"policies": [dict(P1, filter="udp")]}))
    assert "modified policy 1" in run("modify", "--policies", str(tmp_path / "m.json"), "--unixctl", str(daemon.socket)).stdout
    listed = run("list", "--server", daemon.url, "--token", TENANT_A)
    assert json.loads(listed.stdout)["policies"][0]["filter"] == "udp", listed.stderr
    refused = run("list", "--server", daemon.url, "--token", "wrong-token-000")
    assert refused.returncode == 1 and "unknown token" in refused.stderr
