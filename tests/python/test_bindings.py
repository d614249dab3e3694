"""The Python bindings (``vtap._core``): value semantics, enums, errors, translation.

Plans made through the bindings are compared with ``vtapctl compile``'s files for the same
topology and policies: both go through the same C++ translator, so they must agree byte for
byte, and a binding that mangles a field on the way in shows up as a difference.
"""

from __future__ import annotations

import copy
import enum
import ipaddress
import json
import pickle
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from vtap_import import import_vtap

vtap = import_vtap()

from topo_helpers import HOSTS, compile_ok, policy, topology  # noqa: E402


# --------------------------------------------------------------------------- package

def test_version_and_all():
    assert vtap.__version__ == vtap._core.__version__
    assert vtap.__version__.count(".") == 2
    for name in vtap.__all__:
        assert hasattr(vtap, name), name
    public = [n for n in dir(vtap._core) if not n.startswith("_")]
    missing = set(public) - set(vtap.__all__)
    assert not missing, f"not re-exported by vtap.__all__: {sorted(missing)}"
    assert vtap._core.__all__ == sorted(public)


def test_every_public_name_has_a_docstring():
    undocumented = []
    for name in vtap.__all__:
        obj = getattr(vtap, name)
        if isinstance(obj, (int, str)):
            continue
        if not (obj.__doc__ or "").strip():
            undocumented.append(name)
        if isinstance(obj, type) and not issubclass(obj, (BaseException, enum.Enum)):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or attr in ("Unit",):
                    continue
                if not (getattr(member, "__doc__", None) or "").strip():
                    undocumented.append(f"{name}.{attr}")
    assert not undocumented, undocumented


# --------------------------------------------------------------------------- addresses

@pytest.mark.parametrize("cls,text,canonical", [
    ("MacAddress", "FA:00:00:00:00:01", "fa:00:00:00:00:01"),
    ("Ipv4Address", "10.1.1.1", "10.1.1.1"),
    ("Ipv6Address", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("Ipv4Prefix", "10.1.2.3/8", "10.0.0.0/8"),
    ("Ipv6Prefix", "2001:db8::1/32", "2001:db8::/32"),
])
def test_address_value_semantics(cls, text, canonical):
    t = getattr(vtap, cls)
    a, b = t(text), t(canonical)
    assert str(a) == canonical
    assert repr(a) == f"{cls}('{canonical}')"
    assert eval(repr(a), vars(vtap)) == a
    assert a == b and not (a != b) and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert copy.copy(a) == a and copy.deepcopy(a) == a
    assert pickle.loads(pickle.dumps(a)) == a


def test_address_ordering_and_accessors():
    macs = [vtap.MacAddress(f"fa:00:00:00:00:0{i}") for i in (3, 1, 2)]
    assert [str(m) for m in sorted(macs)] == [f"fa:00:00:00:00:0{i}" for i in (1, 2, 3)]
    assert vtap.Ipv4Address("10.0.0.1") < vtap.Ipv4Address("10.0.0.2") <= vtap.Ipv4Address("10.0.0.2")
    assert vtap.Ipv4Address("10.0.0.1").value == 0x0A000001 == int(vtap.Ipv4Address(0x0A000001))
    assert vtap.Ipv4Address("10.0.0.1").packed == bytes([10, 0, 0, 1])
    assert vtap.MacAddress("ff:ff:ff:ff:ff:ff").is_multicast
    assert not vtap.MacAddress("fa:00:00:00:00:01").is_multicast
    net = vtap.Ipv4Prefix("10.0.0.0/8")
    assert net.length == 8 and str(net.address) == "10.0.0.0" and net.mask == 0xFF000000
    assert vtap.Ipv4Address("10.9.9.9") in net and vtap.Ipv4Address("11.0.0.1") not in net
    assert vtap.Ipv6Address("2001:db8::5") in vtap.Ipv6Prefix("2001:db8::/32")
    assert vtap.Ipv4Prefix(address=vtap.Ipv4Address("10.1.1.1"), length=24) == vtap.Ipv4Prefix("10.1.1.0/24")


@pytest.mark.parametrize("cls,text", [
    ("MacAddress", "zz:00:00:00:00:01"), ("MacAddress", "fa:00:00:00:00"),
    ("Ipv4Address", "10.1.1.256"), ("Ipv6Address", "2001:::1"), ("Ipv4Prefix", "10.0.0.0/33"),
])
def test_bad_address_text_raises_parse_error(cls, text):
    with pytest.raises(vtap.ParseError) as info:
        getattr(vtap, cls)(text)
    assert isinstance(info.value, vtap.Error) and isinstance(info.value, RuntimeError)
    assert str(info.value)


def test_ipaddress_objects_are_addresses_and_prefixes():
    v4, v6 = ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("2001:db8::5")
    assert vtap.Ipv4Address(v4) == vtap.Ipv4Address("10.1.2.3")
    assert vtap.Ipv4Address(address=ipaddress.ip_interface("10.1.2.3/8")) == vtap.Ipv4Address("10.1.2.3")
    assert vtap.Ipv6Address(v6) == vtap.Ipv6Address("2001:db8::5")
    assert vtap.Ipv6Address(ipaddress.ip_address("fe80::1%eth0")) == vtap.Ipv6Address("fe80::1")  # no scope
    assert vtap.Ipv4Prefix(ipaddress.ip_network("10.0.0.0/8")) == vtap.Ipv4Prefix("10.0.0.0/8")
    assert vtap.Ipv4Prefix(network=ipaddress.ip_network("0.0.0.0/0")).length == 0
    assert vtap.Ipv6Prefix(ipaddress.ip_network("2001:db8::/32")) == vtap.Ipv6Prefix("2001:db8::/32")
    assert vtap.Ipv4Prefix(address=v4, length=16) == vtap.Ipv4Prefix("10.1.0.0/16")
    assert vtap.Ipv6Prefix(address="2001:db8::5", length=64) == vtap.Ipv6Prefix("2001:db8::/64")
    assert v4 in vtap.Ipv4Prefix("10.0.0.0/8") and "10.9.9.9" in vtap.Ipv4Prefix("10.0.0.0/8")
    assert vtap.Ipv6Prefix("2001:db8::/32").contains(v6) and not vtap.Ipv4Prefix("11.0.0.0/8").contains(v4)

    e = vtap.Endpoint(mac="fa:00:00:00:00:01", ip=v6)
    assert e.ip == vtap.Ipv6Address("2001:db8::5") and isinstance(e.ip, vtap.Ipv6Address)
    e.ip = v4
    assert e.ip == vtap.Ipv4Address("10.1.2.3")
    e.ip = None
    assert e.ip is None
    t = vtap.TunnelTarget(remote_ip=ipaddress.IPv4Address("192.0.2.9"), key=7)
    assert t.remote_ip == vtap.Ipv4Address("192.0.2.9")
    t.remote_ip = ipaddress.IPv4Address("192.0.2.10")
    assert t.remote_ip == vtap.Ipv4Address("192.0.2.10")
    t.remote_ip = "192.0.2.11"
    assert t.remote_ip == vtap.Ipv4Address("192.0.2.11")
    h = vtap.Host(name="vm9", mac="fa:00:00:00:00:09", ip=ipaddress.ip_address("10.1.1.9"),
                  ipv6=ipaddress.ip_address("fd00::9"), switch_name="s1", port=9)
    assert h.ip == vtap.Ipv4Address("10.1.1.9") and h.ipv6 == vtap.Ipv6Address("fd00::9")
    h.ipv6 = ipaddress.IPv6Address("fd00::10")
    assert h.ipv6 == vtap.Ipv6Address("fd00::10")


@pytest.mark.parametrize("call", [
    lambda: vtap.Endpoint(ip=ipaddress.ip_network("10.0.0.0/8")),  # a network is no address
    lambda: vtap.Endpoint(ip=10),
    lambda: vtap.Endpoint(mac=b"fa:00:00:00:00:01"),
    lambda: vtap.Host(name="vm9", mac="fa:00:00:00:00:09", ip=ipaddress.ip_address("fd00::9"),
                      switch_name="s1", port=9),  # ip is IPv4 only
    lambda: vtap.TunnelTarget(remote_ip=None),
    lambda: vtap.Ipv4Prefix(ipaddress.ip_network("2001:db8::/32")),
    lambda: vtap.TapPolicy(filter=80),
    lambda: vtap.TranslatorOptions(groups="1-10"),
])
def test_arguments_of_another_type_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("call", [
    lambda: vtap.Endpoint(ip="10.1.1.300"),
    lambda: vtap.Endpoint(mac="fa:00"),
    lambda: vtap.Host(name="vm9", mac="fa:00:00:00:00:09", ipv6="fd00:::9", switch_name="s1", port=9),
    lambda: vtap.TunnelTarget(remote_ip="192.0.2"),
    lambda: vtap.Ipv4Prefix(address="10.1.1", length=8),
    lambda: vtap.Match("tcp").intersect("tp_dst=80"),
])
def test_text_that_does_not_parse_raises_parse_error(call):
    with pytest.raises(vtap.ParseError):
        call()


def test_equality_follows_the_python_protocol():
    # Another type gives NotImplemented: Python then asks the other operand.
    for value in (vtap.Match("tcp"), vtap.Ipv4Address("10.0.0.1"), vtap.IdRange(1, 2), vtap.SwitchPlan(),
                  vtap.Endpoint(ip="10.0.0.1"), vtap.TapPolicy()):
        assert value == mock.ANY and not (value != mock.ANY)
        assert value != 42 and not (value == None)  # noqa: E711
        assert value == value and not (value != value)
    assert vtap.Match("tcp").__eq__(42) is NotImplemented
    # What converted before still does: text for addresses and matches, tuples for id ranges.
    assert vtap.Ipv4Address("10.0.0.1") == "10.0.0.1" and vtap.Match("tcp") == "tcp"
    assert vtap.IdRange(1, 2) == (1, 2) and vtap.IdRange(1, 2) != (1, 3)
    assert vtap.Ipv4Address("10.0.0.1") != "not an address"


def test_id_ranges_from_tuples():
    options = vtap.TranslatorOptions(groups=(100, 199), meters=[7, 9])
    assert options.groups == vtap.IdRange(100, 199) and options.meters == vtap.IdRange(7, 9)
    options.groups = (5, 6)
    assert options.groups == vtap.IdRange(5, 6)
    options.meters = vtap.IdRange(1, 1)
    assert options.meters == vtap.IdRange(1, 1)
    assert vtap.TranslatorOptions().groups == vtap.DEFAULT_GROUP_RANGE


# --------------------------------------------------------------------------- matches

def test_match_text_equality_and_hash():
    a = vtap.Match("tcp,tp_dst=80")
    b = vtap.Match("tp_dst=80,dl_type=0x0800,nw_proto=6")
    assert a == b and hash(a) == hash(b) and str(a) == str(b) == "tcp,tp_dst=80"
    assert repr(a) == "Match('tcp,tp_dst=80')"
    assert vtap.Match() == vtap.Match("*") == vtap.Match("") and str(vtap.Match()) == ""
    assert vtap.Match().empty and len(vtap.Match()) == 0 and len(a) == 3
    assert pickle.loads(pickle.dumps(a)) == a
    assert vtap.Field.tcp_dst in a and a.has(vtap.Field.eth_type) and not a.has(vtap.Field.udp_dst)
    assert a.exact_value(vtap.Field.tcp_dst) == 80
    assert a.fields == [vtap.Field.eth_type, vtap.Field.ip_proto, vtap.Field.tcp_dst]
    assert a.without(vtap.Field.tcp_dst) == vtap.Match("tcp")


def test_match_set_operations():
    tcp = vtap.Match("tcp")
    http = vtap.Match("tcp,tp_dst=80")
    from_net = vtap.Match("tcp,nw_src=10.0.0.0/8")
    udp = vtap.Match("udp")
    assert http.is_subset_of(tcp) and not tcp.is_subset_of(http)
    assert http.overlaps(from_net) and not http.overlaps(udp)
    assert http.intersect(from_net) == vtap.Match("tcp,nw_src=10.0.0.0/8,tp_dst=80")
    assert http.intersect(udp) is None
    assert http.reversed() == vtap.Match("tcp,tp_src=80")


def test_match_errors_name_the_field():
    with pytest.raises(vtap.ParseError, match="tp_dst"):
        vtap.Match("tp_dst=80")
    with pytest.raises(vtap.ParseError, match="nosuchfield"):
        vtap.Match("nosuchfield=1")


def test_fields():
    assert issubclass(vtap.Field, enum.Enum)
    assert vtap.field_by_name("dl_src") == vtap.field_by_name("eth_src") == vtap.Field.eth_src
    assert vtap.field_by_name("bogus") is None
    assert vtap.field_name(vtap.Field.eth_src) == "dl_src"
    # The enum's member names (the C++ enumerators) name the same fields as libvtap's table.
    for f in vtap.Field:
        if not vtap.field_name(f).startswith("tp_"):  # tp_src/tp_dst depend on nw_proto
            assert vtap.field_by_name(vtap.field_name(f)) is f
        assert vtap.field_by_name(f.name) in (f, None), f
    assert vtap.field_name(vtap.Field.ipv4_src) == "nw_src"


# --------------------------------------------------------------------------- policies

def test_enums_are_python_enums():
    for e in (vtap.Direction, vtap.Delivery, vtap.Forwarding, vtap.GroupType, vtap.RuleKind,
              vtap.Version, vtap.RateLimit.Unit, vtap.MeterEntry.Unit):
        assert issubclass(e, enum.Enum), e
    assert [d.name for d in vtap.Direction] == ["forward", "both"]
    assert [d.name for d in vtap.Delivery] == ["marked", "tunnel"]
    assert vtap.Direction["both"] is vtap.Direction.both
    assert vtap.Version.of15.value == 6


def test_endpoint_and_policy_keywords():
    e = vtap.Endpoint(mac="fa:00:00:00:00:01", ip="10.1.1.1")
    assert e.mac == vtap.MacAddress("fa:00:00:00:00:01") and e.ip == vtap.Ipv4Address("10.1.1.1")
    assert str(e) == "fa:00:00:00:00:01 10.1.1.1"
    assert repr(e) == "Endpoint(mac='fa:00:00:00:00:01', ip='10.1.1.1')"
    assert isinstance(vtap.Endpoint(ip="fd00::1").ip, vtap.Ipv6Address)
    assert vtap.Endpoint.any_host().any and str(vtap.Endpoint.any_host()) == "*"
    with pytest.raises(TypeError):
        vtap.Endpoint("fa:00:00:00:00:01")  # keyword arguments only
    with pytest.raises(vtap.ParseError):
        vtap.Endpoint(mac="nonsense")

    p = vtap.TapPolicy(id=7, name="web", tenant="t1", sender=e, receiver=vtap.Endpoint.any_host(),
                       monitor=vtap.Endpoint(ip="10.1.1.3"), filter="tcp,tp_dst=80",
                       direction=vtap.Direction.both, truncate=128,
                       rate_limit=vtap.RateLimit(rate=1000, burst=100))
    assert p.id == 7 and p.name == "web" and p.filter == vtap.Match("tcp,tp_dst=80")
    assert p.direction is vtap.Direction.both and p.truncate == 128
    assert p.rate_limit == vtap.RateLimit(rate=1000, unit=vtap.RateLimit.Unit.pktps, burst=100)
    assert p.delivery is vtap.Delivery.marked and p.tunnel is None
    p.filter = "udp"
    assert p.filter == vtap.Match("udp")
    q = vtap.TapPolicy.from_json(p.to_json())
    assert q == p and q is not p
    with pytest.raises(vtap.ParseError):
        vtap.TapPolicy(filter="tp_dst=80")
    t = vtap.TapPolicy(delivery=vtap.Delivery.tunnel, tunnel=vtap.TunnelTarget(remote_ip="192.0.2.9", key=7))
    assert t.tunnel.remote_ip == vtap.Ipv4Address("192.0.2.9") and t.tunnel.key == 7


def test_policy_json_round_trip(tmp_path):
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80"),
                policy(2, "vm1", "*", "vm4", "udp", direction="both", truncate=100,
                       rate_limit={"kbps": 10000})]
    text = json.dumps({"policies": policies})
    (tmp_path / "p.json").write_text(text)
    loaded = vtap.load_policies(tmp_path / "p.json")
    assert loaded == vtap.policies_from_json(text) == vtap.load_policies(str(tmp_path / "p.json"))
    assert [p.id for p in loaded] == [1, 2]
    assert loaded[1].receiver.any and loaded[1].rate_limit.unit is vtap.RateLimit.Unit.kbps
    assert vtap.policies_from_json(vtap.policies_to_json(loaded, indent=2)) == loaded
    assert json.loads(vtap.policies_to_json(loaded)) == json.loads(vtap.policies_to_json(loaded, indent=1))


def test_policy_json_errors_keep_the_cpp_messages(tmp_path):
    bad = {"policies": [policy(1, "vm1", "vm2", "vm3"), policy(2, "vm1", "vm2", "vm3")]}
    bad["policies"][1]["sender"]["mac"] = "zz"
    (tmp_path / "p.json").write_text(json.dumps(bad))
    with pytest.raises(vtap.ParseError) as info:
        vtap.load_policies(tmp_path / "p.json")
    msg = str(info.value)
    assert msg.startswith(str(tmp_path / "p.json") + ": policy 2: sender.mac:"), msg
    with pytest.raises(vtap.ParseError, match="invalid JSON"):
        vtap.policies_from_json("{")
    with pytest.raises(vtap.ParseError, match="cannot open"):
        vtap.load_policies(tmp_path / "missing.json")


# --------------------------------------------------------------------------- topology

def small_topology():
    return vtap.Topology(
        switches=[vtap.Switch(name="s1", dpid=1), vtap.Switch(name="s2", dpid=2)],
        hosts=[vtap.Host(name=f"vm{i}", mac=HOSTS[f"vm{i}"][0], ip=HOSTS[f"vm{i}"][1],
                         switch_name="s1" if i % 2 else "s2", port=i, tenant="t1")
               for i in (1, 2, 3, 4)],
        links=[vtap.Link(a=("s1", 12), b=("s2", 21))])


def test_topology_from_lists_and_json(tmp_path):
    t = small_topology()
    assert [s.name for s in t.switches] == ["s1", "s2"] and len(t.hosts) == 4
    assert t.links[0] == vtap.Link(a=vtap.PortRef(switch_name="s1", port=12),
                                   b=vtap.PortRef(switch_name="s2", port=21))
    assert t.find_host("vm2").switch_name == "s2" and t.find_host("nobody") is None
    assert t.find_host_by_mac("fa:00:00:00:00:03").name == "vm3"
    assert t.find_host_by_ip("10.1.1.4").name == "vm4"
    assert [h.switch_name for h in t.path("s1", 1, t.find_host("vm2"))] == ["s1", "s2"]
    assert t.next_hops("s2") == {"s1": 12}
    again = vtap.Topology.from_json(t.to_json())
    assert again.switches == t.switches and again.hosts == t.hosts and again.links == t.links
    (tmp_path / "t.json").write_text(t.to_json(indent=2))
    assert vtap.Topology.load(tmp_path / "t.json").hosts == t.hosts == vtap.load_topology(tmp_path / "t.json").hosts


def test_topology_errors():
    with pytest.raises(vtap.TopologyError) as info:
        vtap.Topology(switches=[vtap.Switch(name="s1", dpid=1), vtap.Switch(name="s1", dpid=2)])
    assert "s1" in str(info.value) and isinstance(info.value, vtap.Error)
    t = small_topology()
    with pytest.raises(vtap.TopologyError):
        t.add_host(vtap.Host(name="vm9", mac="fa:00:00:00:00:09", switch_name="s9", port=1))
    with pytest.raises(vtap.ParseError):
        vtap.Topology.from_json('{"switches": [{"name": "s1", "dpid": "xyz"}]}')


# --------------------------------------------------------------------------- translation

def test_translator_add_remove_and_policy_error():
    tr = vtap.Translator(small_topology(), vtap.TranslatorOptions(priority=30000))
    assert tr.options.priority == 30000 and tr.options.forwarding is vtap.Forwarding.path
    # vm1 and vm3 on s1, the monitor vm4 on s2: both switches need rules.
    p = vtap.TapPolicy(sender=vtap.Endpoint(ip="10.1.1.1"), receiver=vtap.Endpoint(ip="10.1.1.3"),
                       monitor=vtap.Endpoint(ip="10.1.1.4"), filter="tcp")
    assert tr.add(p) == 1 and tr.add(p) == 2 and len(tr) == 2
    assert [q.id for q in tr.policies()] == [1, 2] and tr.find(2).filter == vtap.Match("tcp")
    plan = tr.plan()
    assert isinstance(plan, vtap.Plan) and list(plan) == ["s1", "s2"] and "s1" in plan
    assert plan["s1"] == tr.plan("s1") and plan.switches["s2"] == plan["s2"]
    assert all(f.priority >= 30000 for f in plan["s1"].flows)
    tr.remove(2)
    tr.remove(1)
    assert tr.plan() == vtap.Plan() and len(tr.plan()) == 0 and tr.plan("s1").empty
    with pytest.raises(vtap.Error):
        tr.remove(1)

    bad = vtap.TapPolicy(id=9, sender=vtap.Endpoint(mac="fa:00:00:00:00:99"),
                         receiver=vtap.Endpoint(ip="10.1.1.2"), monitor=vtap.Endpoint(ip="10.1.1.3"))
    with pytest.raises(vtap.PolicyError) as info:
        tr.add(bad)
    err = info.value
    assert err.policy_id == 9 and err.field == "sender.mac"
    assert str(err) == "policy 9: sender.mac: no host with MAC fa:00:00:00:00:99"
    assert isinstance(err, vtap.Error) and len(tr) == 0


def test_plan_objects_print_ovs_ofctl_syntax():
    tr = vtap.Translator(small_topology())
    tr.add(vtap.TapPolicy(id=1, sender=vtap.Endpoint(ip="10.1.1.1"), receiver=vtap.Endpoint(ip="10.1.1.2"),
                          monitor=vtap.Endpoint(ip="10.1.1.3"), filter="tcp,tp_dst=80", truncate=64,
                          rate_limit=vtap.RateLimit(rate=100)))
    s1 = tr.plan("s1")
    flow = next(f for f in s1.flows if f.table == 0)
    assert str(flow).startswith(f"table=0,priority={flow.priority},cookie={flow.cookie:#x},")
    assert flow.cookie & vtap.COOKIE_MAGIC_MASK == vtap.COOKIE_MAGIC
    assert flow.cookie == vtap.make_cookie(vtap.RuleKind.tap, 1)
    assert flow.match.is_subset_of(vtap.Match("tcp,tp_dst=80"))
    assert len(flow.actions) == 1 and isinstance(flow.actions[0], vtap.GroupAction)
    group = s1.groups[0]
    assert group.type is vtap.GroupType.all and group.group_id == flow.actions[0].group_id
    assert str(group).startswith(f"group_id={group.group_id},type=all,bucket=bucket_id:0,")
    assert [b.bucket_id for b in group.buckets] == list(range(len(group.buckets)))
    assert isinstance(group.buckets[0].actions[0], vtap.OutputAction)
    assert str(s1.meters[0]) == "meter=3758096384,pktps,bands=type=drop,rate=100"
    assert s1.meters[0].unit is vtap.MeterEntry.Unit.pktps and s1.meters[0].rate == 100
    assert str(s1) == "".join(f"{x}\n" for x in [*s1.meters, *s1.groups, *s1.flows])
    with pytest.raises(AttributeError):
        flow.priority = 1  # read-only


@pytest.mark.parametrize("placement", ["1sw", "3sw-monitor-on-third"])
@pytest.mark.parametrize("options", [(), ("--forwarding=normal",),
                                     ("--forwarding=resubmit:3", "--priority=30000", "--marks=3500-3600",
                                      "--table=2", "--copy-table=200")])
def test_plan_equals_vtapctl_compile(vtapctl, tmp_path, placement, options):
    topo = topology(placement)
    policies = [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80"),
                policy(2, "vm1", "vm2", "vm4", "tcp", truncate=100),
                policy(3, "vm2", "vm1", "vm3", "udp", rate_limit={"pktps": 50}, direction="both")]
    if any(o.startswith("--forwarding=") for o in options):
        policies.append(policy(4, "vm1", "*", "vm4", "icmp"))
    out = compile_ok(vtapctl, tmp_path, topo, policies, *options)

    kwargs = {}
    for opt in options:
        key, _, value = opt[2:].partition("=")
        if value == "normal":
            kwargs["forwarding"] = vtap.Forwarding.normal
        elif value.startswith("resubmit:"):
            kwargs["forwarding"] = vtap.Forwarding.resubmit
            kwargs["resubmit_table"] = int(value.split(":")[1])
        elif key == "marks":
            kwargs["first_mark"], kwargs["last_mark"] = map(int, value.split("-"))
        else:
            kwargs[key.replace("-", "_")] = int(value)
    tr = vtap.Translator(vtap.Topology.load(tmp_path / "topology.json"), vtap.TranslatorOptions(**kwargs))
    for p in vtap.load_policies(tmp_path / "policies.json"):
        tr.add(p)
    plan = tr.plan()
    assert plan == vtap.translate(tr.topology, tr.policies(), vtap.TranslatorOptions(**kwargs))

    files = {p.name: p.read_text() for p in Path(out).iterdir()}
    expected = {}
    for name, sp in plan.switches.items():
        expected[f"{name}.groups"] = "".join(f"{g}\n" for g in sp.groups)
        expected[f"{name}.flows"] = "".join(f"{f}\n" for f in sp.flows)
        if sp.meters:
            expected[f"{name}.meters"] = "".join(f"{m}\n" for m in sp.meters)
    assert files == expected


def test_explain_matches_vtapctl(vtapctl, tmp_path):
    topo = topology("2sw-monitor-at-receiver")
    compile_ok(vtapctl, tmp_path, topo, [policy(1, "vm1", "vm2", "vm3", "tcp,tp_dst=80"),
                                         policy(2, "vm1", "vm2", "vm4", "udp")])
    tr = vtap.Translator(vtap.Topology.load(tmp_path / "topology.json"))
    for p in vtap.load_policies(tmp_path / "policies.json"):
        tr.add(p)
    packet = (f"tcp,dl_src={HOSTS['vm1'][0]},dl_dst={HOSTS['vm2'][0]},"
              f"nw_src={HOSTS['vm1'][1]},nw_dst={HOSTS['vm2'][1]},tp_src=40000,tp_dst=80")
    ex = vtap.explain(tr, packet)
    cli = subprocess.run([str(vtapctl), "explain", "--topology", str(tmp_path / "topology.json"),
                          "--policies", str(tmp_path / "policies.json"), "--packet", packet],
                         capture_output=True, text=True, check=True)
    assert str(ex) == cli.stdout
    assert ex.sender == "vm1" and [c.target for c in ex.copies] == ["vm3"]
    assert [v.matches for v in ex.verdicts] == [True, False]
    assert ex.delivered == ["vm3"]
    assert vtap.simulate(tr.topology, tr.plan(), tr.topology.find_host("vm1"), packet) == ["vm3"]
    with pytest.raises(vtap.Error):
        vtap.explain(tr, "tcp,dl_src=fa:00:00:00:00:99")


def test_stubs_declare_every_public_name():
    import ast
    stub = Path(__file__).resolve().parents[2] / "python" / "vtap" / "_core.pyi"
    tree = ast.parse(stub.read_text())
    declared = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            declared.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            declared.update(t.id for t in targets if isinstance(t, ast.Name))
    public = {n for n in dir(vtap._core) if not n.startswith("_")}
    assert public <= declared, f"missing from _core.pyi (run scripts/gen_stubs.py): {sorted(public - declared)}"
    assert (stub.parent / "py.typed").is_file()
