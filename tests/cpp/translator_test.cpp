// Translator tests: the paper's Fig. 4 policies, every rule kind, composition, and a
// property test that walks the compiled rules against the model's prediction.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "libvtap/model/error.hpp"
#include "libvtap/translate/explain.hpp"
#include "libvtap/translate/translator.hpp"
#include "policy_fixtures.hpp"

namespace vtap {
namespace {

using namespace vtap::testing;

TEST(Translator, PaperPolicy1WithLocalMonitorIsOneFlowIntoAGroupOfTwoBuckets) {
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}));
  t.add(policy(1, 1, 2, 3, "tcp,tp_dst=80"));
  const SwitchPlan sp = t.plan("s1");
  EXPECT_EQ(texts(sp.flows),
            std::vector<std::string>{"table=0,priority=40000,cookie=0x7674010000000001,tcp,in_port=1,"
                                     "dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,"
                                     "nw_dst=10.1.1.2,tp_dst=80,actions=group:3758096384"});
  EXPECT_EQ(texts(sp.groups), std::vector<std::string>{"group_id=3758096384,type=all,bucket=bucket_id:0,actions=output:2,"
                                                       "bucket=bucket_id:1,actions=output:3"});
  EXPECT_TRUE(sp.meters.empty());
  EXPECT_EQ(t.plan().switches.size(), 1U);
}

TEST(Translator, PaperPolicy2AsksForMplsAndIpv4InOneMatchAndIsRefused) {
  Translator t(line(1, {{1, 1}, {2, 1}, {4, 1}}));
  TapPolicy p = policy(2, 1, 2, 4);
  try {
    p.filter = Match::parse("udp,dl_vlan=100,mpls_label=10");
    t.add(p);
    FAIL() << "accepted an MPLS label together with an IPv4 protocol";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mpls_label"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(t.plan().switches.empty());
}

TEST(Translator, PaperPolicy3RemoteMonitorGetsAMarkedCopyThatIsRecovered) {
  // vm2 sends to vm1 on s1; the monitor vm4 sits on s2.
  Translator t(line(2, {{1, 1}, {2, 1}, {4, 2}}));
  t.add(policy(3, 2, 1, 4, "tcp,dl_vlan=200,nw_ecn=3"));
  const Plan plan = t.plan();
  ASSERT_EQ(plan.switches.size(), 2U);
  EXPECT_EQ(texts(plan.switches.at("s1").groups),
            std::vector<std::string>{"group_id=3758096386,type=all,bucket=bucket_id:0,actions=output:1,"
                                     "bucket=bucket_id:1,actions=push_vlan:0x8100,set_field:7096->vlan_vid,output:10"});
  EXPECT_EQ(texts(plan.switches.at("s2").flows),
            std::vector<std::string>{"table=0,priority=40000,cookie=0x7674040000000bb8,in_port=11,dl_vlan=3000,"
                                     "actions=pop_vlan,output:4"});
  EXPECT_TRUE(plan.switches.at("s2").groups.empty());
  EXPECT_EQ(walk(t, "tcp,dl_src=fa:00:00:00:00:02,dl_dst=fa:00:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1,"
                    "dl_vlan=200,nw_ecn=3,tp_dst=443"),
            std::vector<std::string>{"vm4"});
}

TEST(Translator, PaperModeRewritesTheDestinationAndRecoveryRestoresIt) {
  TranslatorOptions o;
  o.rewrite_destination = true;
  Translator t(line(2, {{1, 1}, {2, 1}, {4, 2}, {5, 1}}), o);
  t.add(policy(3, 2, 1, 4, "tcp,dl_vlan=200,nw_ecn=3"));
  t.add(policy(4, 2, 5, 4));
  const Plan plan = t.plan();
  EXPECT_EQ(texts(plan.switches.at("s1").groups).at(0),
            "group_id=3758096386,type=all,bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions="
            "set_field:fa:00:00:00:00:04->eth_dst,push_vlan:0x8100,set_field:7096->vlan_vid,output:10");
  // One mark per (monitor, original destination): two recovery rules.
  EXPECT_EQ(texts(plan.switches.at("s2").flows),
            (std::vector<std::string>{"table=0,priority=40000,cookie=0x7674040000000bb8,in_port=11,dl_vlan=3000,"
                                      "actions=pop_vlan,set_field:fa:00:00:00:00:01->eth_dst,output:4",
                                      "table=0,priority=40000,cookie=0x7674040000000bb9,in_port=11,dl_vlan=3001,"
                                      "actions=pop_vlan,set_field:fa:00:00:00:00:05->eth_dst,output:4"}));
  EXPECT_EQ(walk(t, "tcp,dl_src=fa:00:00:00:00:02,dl_dst=fa:00:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1,"
                    "dl_vlan=200,nw_ecn=3,tp_dst=443"),
            std::vector<std::string>{"vm4"});
}

TEST(Translator, TransitSwitchForwardsMarkedCopiesByExplicitRule) {
  Translator t(line(3, {{1, 1}, {2, 1}, {3, 3}}));
  t.add(policy(1, 1, 2, 3));
  const Plan plan = t.plan();
  EXPECT_EQ(texts(plan.switches.at("s2").flows),
            std::vector<std::string>{"table=0,priority=40000,cookie=0x7674030000000bb8,in_port=11,dl_vlan=3000,"
                                     "actions=output:10"});
  EXPECT_EQ(walk(t, "ip,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2"),
            std::vector<std::string>{"vm3"});
}

TEST(Translator, AnyReceiverCopiesTravelUnrewrittenAndNeedNonPathForwarding) {
  Topology topo = line(2, {{1, 1}, {2, 1}, {3, 2}});
  {
    Translator t(topo);
    EXPECT_THROW(t.add(policy(1, 1, 0, 3)), PolicyError);
  }
  TranslatorOptions o;
  o.forwarding = Forwarding::normal;
  Translator t(topo, o);
  t.add(policy(1, 1, 0, 3));
  const Plan plan = t.plan();
  EXPECT_EQ(texts(plan.switches.at("s1").groups),
            std::vector<std::string>{"group_id=3758096384,type=all,bucket=bucket_id:0,actions=output:NORMAL,"
                                     "bucket=bucket_id:1,actions=push_vlan:0x8100,set_field:7096->vlan_vid,output:10"});
  EXPECT_EQ(texts(plan.switches.at("s2").flows),
            std::vector<std::string>{"table=0,priority=40000,cookie=0x7674040000000bb8,in_port=11,dl_vlan=3000,"
                                     "actions=pop_vlan,output:3"});
  EXPECT_EQ(walk(t, "ip,dl_src=fa:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=10.1.1.1,nw_dst=10.1.1.255"), std::vector<std::string>{"vm3"});
}

TEST(Translator, ResubmitForwardingContinuesInTheSwitchPipeline) {
  TranslatorOptions o;
  o.forwarding = Forwarding::resubmit;
  o.resubmit_table = 5;
  o.table = 2;
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
  t.add(policy(1, 1, 2, 3));
  EXPECT_EQ(texts(t.plan("s1").groups), std::vector<std::string>{"group_id=3758096384,type=all,bucket=bucket_id:0,"
                                                                  "actions=resubmit(,5),bucket=bucket_id:1,actions=output:3"});
  EXPECT_EQ(t.plan("s1").flows.at(0).table, 2);
}

TEST(Translator, OverlappingPoliciesToOneMonitorGiveOneCopy) {
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}));
  t.add(policy(1, 1, 2, 3, "tcp"));
  t.add(policy(2, 1, 2, 3, "tcp,tp_dst=80"));
  const SwitchPlan sp = t.plan("s1");
  ASSERT_EQ(sp.flows.size(), 2U);
  // Policy 2's match lies inside policy 1's: one element each, the inner one higher.
  EXPECT_EQ(sp.flows[0].priority, 40000);
  EXPECT_EQ(sp.flows[1].priority, 40001);
  for (const auto& g : sp.groups) EXPECT_EQ(g.buckets.size(), 2U) << g.to_string();
  const std::string base = "dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2";
  EXPECT_EQ(walk(t, "tcp," + base + ",tp_dst=80"), std::vector<std::string>{"vm3"});
  EXPECT_EQ(walk(t, "tcp," + base + ",tp_dst=22"), std::vector<std::string>{"vm3"});
  EXPECT_EQ(walk(t, "udp," + base + ",tp_dst=80"), std::vector<std::string>{});
}

TEST(Translator, OverlappingPoliciesToTwoMonitorsComposeAnIntersectionRule) {
  Translator t(line(2, {{1, 1}, {2, 1}, {3, 1}, {4, 2}}));
  t.add(policy(1, 1, 2, 3, "tcp,tp_dst=80"));
  t.add(policy(2, 1, 2, 4, "tcp,tp_src=1234"));
  const SwitchPlan sp = t.plan("s1");
  ASSERT_EQ(sp.flows.size(), 3U);
  const auto& top = *std::max_element(sp.flows.begin(), sp.flows.end(),
                                      [](const FlowRule& a, const FlowRule& b) { return a.priority < b.priority; });
  EXPECT_EQ(top.priority, 40001);
  EXPECT_EQ(top.cookie >> 40, (cookie_magic >> 40) | 2U);
  EXPECT_NE(top.match.to_string().find("tp_src=1234,tp_dst=80"), std::string::npos) << top.match.to_string();
  const std::string base = "tcp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2";
  EXPECT_EQ(walk(t, base + ",tp_src=1234,tp_dst=80"), (std::vector<std::string>{"vm3", "vm4"}));
  EXPECT_EQ(walk(t, base + ",tp_src=1,tp_dst=80"), std::vector<std::string>{"vm3"});
  EXPECT_EQ(walk(t, base + ",tp_src=1234,tp_dst=1"), std::vector<std::string>{"vm4"});
}

TEST(Translator, AnyReceiverOverlapsAConcreteOne) {
  TranslatorOptions o;
  o.forwarding = Forwarding::normal;
  Translator t(line(2, {{1, 1}, {2, 1}, {3, 2}, {4, 2}}), o);
  t.add(policy(1, 1, 0, 3, "udp"));
  t.add(policy(2, 1, 2, 4));
  const std::string to_vm2 = "udp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2,tp_dst=53";
  EXPECT_EQ(walk(t, to_vm2), (std::vector<std::string>{"vm3", "vm4"}));
  EXPECT_EQ(walk(t, "udp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:09,nw_src=10.1.1.1,nw_dst=10.1.1.9,tp_dst=53"),
            std::vector<std::string>{"vm3"});
}

TEST(Translator, CompositionPastTheBoundFailsAndChangesNothing) {
  TranslatorOptions o;
  o.max_composed = 10;
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
  // Three policies on independent fields: 7 elements. A fourth would make 15.
  t.add(policy(1, 1, 2, 3, "tcp,tp_dst=80"));
  t.add(policy(2, 1, 2, 3, "tcp,tp_src=1000"));
  t.add(policy(3, 1, 2, 3, "tcp,ip_dscp=10"));
  EXPECT_EQ(t.plan("s1").flows.size(), 7U);
  const Plan before = t.plan();
  try {
    t.add(policy(4, 1, 2, 3, "tcp,nw_ecn=1"));
    FAIL();
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.policy_id(), 4U);
    EXPECT_NE(std::string(e.what()).find("bound of 10"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.plan(), before);
  EXPECT_EQ(t.find(4), nullptr);
}

TEST(Translator, RemoveRestoresThePlanOfTheRemainingPolicies) {
  Topology topo = line(3, {{1, 1}, {2, 2}, {3, 3}, {4, 3}});
  Translator t(topo);
  t.add(policy(1, 1, 2, 3, "tcp"));
  const Plan only_first = t.plan();
  t.add(policy(2, 1, 2, 4, "tcp,tp_dst=80"));
  t.add(policy(3, 1, 2, 3, "udp"));
  t.remove(3);
  t.remove(2);
  EXPECT_EQ(t.plan(), only_first);
  t.remove(1);
  EXPECT_TRUE(t.plan().switches.empty());
  EXPECT_THROW(t.remove(1), Error);
}

TEST(Translator, TruncationAndRateLimitApplyToTheCopyOnlyInTheCopyTable) {
  // OVS ignores meters and truncation inside group buckets: the bucket marks the copy and
  // resubmits it to the copy table, whose rule meters, unmarks and truncates it.
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}));
  TapPolicy p = policy(7, 1, 2, 3);
  p.truncate = 64;
  p.rate_limit = RateLimit{RateLimit::Unit::pktps, 1000, 0};
  t.add(p);
  const SwitchPlan sp = t.plan("s1");
  EXPECT_EQ(texts(sp.meters), std::vector<std::string>{"meter=3758096390,pktps,bands=type=drop,rate=1000"});
  EXPECT_EQ(texts(sp.groups), std::vector<std::string>{"group_id=3758096390,type=all,bucket=bucket_id:0,actions=output:2,"
                                                       "bucket=bucket_id:1,actions=push_vlan:0x8100,"
                                                       "set_field:7096->vlan_vid,resubmit(,250)"});
  EXPECT_EQ(texts(sp.flows).at(1), "table=250,priority=40000,cookie=0x7674050000000bb8,dl_vlan=3000,"
                                   "actions=meter:3758096390,pop_vlan,output(port=3,max_len=64)");
  EXPECT_EQ(walk(t, "ip,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2"),
            std::vector<std::string>{"vm3"});
}

TEST(Translator, RemoteCopiesAreTruncatedOnTheMonitorsPort) {
  Translator t(line(2, {{1, 1}, {2, 1}, {3, 2}}));
  TapPolicy p = policy(7, 1, 2, 3);
  p.truncate = 100;
  t.add(p);
  EXPECT_EQ(texts(t.plan("s1").groups).at(0), "group_id=3758096390,type=all,bucket=bucket_id:0,actions=output:2,"
                                              "bucket=bucket_id:1,actions=push_vlan:0x8100,set_field:7096->vlan_vid,output:10");
  EXPECT_EQ(texts(t.plan("s2").flows).at(0), "table=0,priority=40000,cookie=0x7674040000000bb8,in_port=11,dl_vlan=3000,"
                                             "actions=pop_vlan,output(port=3,max_len=100)");
}

TEST(Translator, TunnelDeliverySetsTunnelMetadata) {
  Topology topo;
  topo.add_switch(Switch{"s1", 1, 99, {}});
  topo.add_host(Host{"vm1", mac(1), ip(1), std::nullopt, "s1", 1, "t1"});
  topo.add_host(Host{"vm2", mac(2), ip(2), std::nullopt, "s1", 2, "t1"});
  Translator t(topo);
  TapPolicy p = policy(5, 1, 2, 3);
  p.monitor = Endpoint{};
  p.delivery = Delivery::tunnel;
  p.tunnel = TunnelTarget{Ipv4Address::parse("192.0.2.9"), 7, "", std::nullopt};
  t.add(p);
  EXPECT_EQ(texts(t.plan("s1").groups),
            std::vector<std::string>{"group_id=3758096388,type=all,bucket=bucket_id:0,actions=output:2,bucket=bucket_id:1,"
                                     "actions=set_field:192.0.2.9->tun_dst,set_field:0x7->tun_id,output:99"});
  EXPECT_EQ(walk(t, "ip,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2"),
            std::vector<std::string>{"tunnel 192.0.2.9 key 7"});
}

TEST(Translator, BothDirectionsMirrorTheFilter) {
  Translator t(line(2, {{1, 1}, {2, 2}, {3, 1}}));
  TapPolicy p = policy(1, 1, 2, 3, "tcp,tp_dst=80");
  p.direction = Direction::both;
  t.add(p);
  EXPECT_EQ(walk(t, "tcp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2,tp_dst=80"),
            std::vector<std::string>{"vm3"});
  EXPECT_EQ(walk(t, "tcp,dl_src=fa:00:00:00:00:02,dl_dst=fa:00:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1,tp_src=80"),
            std::vector<std::string>{"vm3"});
  EXPECT_EQ(walk(t, "tcp,dl_src=fa:00:00:00:00:02,dl_dst=fa:00:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1,tp_dst=80"),
            std::vector<std::string>{});
}

TEST(Translator, Ipv6EndpointsMatchIpv6Fields) {
  Topology topo;
  topo.add_switch(Switch{"s1", 1, std::nullopt, {}});
  for (int n = 1; n <= 3; ++n)
    topo.add_host(Host{"vm" + std::to_string(n), mac(n), std::nullopt,
                       Ipv6Address::parse("2001:db8::" + std::to_string(n)), "s1", static_cast<std::uint32_t>(n), ""});
  Translator t(topo);
  TapPolicy p;
  p.id = 1;
  p.sender.ip = Ipv6Address::parse("2001:db8::1");
  p.receiver.ip = Ipv6Address::parse("2001:db8::2");
  p.monitor.ip = Ipv6Address::parse("2001:db8::3");
  p.filter = Match::parse("tcp6,tp_dst=443");
  t.add(p);
  EXPECT_EQ(t.plan("s1").flows.at(0).match.to_string(), "tcp6,in_port=1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,tp_dst=443");
}

TEST(Translator, EndpointsGivenByMacOnlyMatchOnMacOnly) {
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}));
  TapPolicy p = policy(1, 1, 2, 3);
  p.sender.ip.reset();
  p.receiver.ip.reset();
  t.add(p);
  EXPECT_EQ(t.plan("s1").flows.at(0).match.to_string(), "in_port=1,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02");
}

TEST(Translator, BadPoliciesNameTheFieldAndChangeNothing) {
  Translator t(line(2, {{1, 1}, {2, 1}, {3, 1}}));
  t.add(policy(1, 1, 2, 3));
  const Plan before = t.plan();
  auto expect_error = [&](TapPolicy p, const std::string& field, const std::string& text) {
    try {
      t.add(p);
      ADD_FAILURE() << "accepted: " << field;
    } catch (const PolicyError& e) {
      EXPECT_EQ(e.field(), field) << e.what();
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
    EXPECT_EQ(t.plan(), before);
  };
  expect_error(policy(1, 1, 2, 3), "id", "duplicate");
  expect_error(policy(2, 1, 2, 9), "monitor.mac", "no host with MAC fa:00:00:00:00:09");
  expect_error(policy(2, 1, 2, 1), "monitor", "is the sender");
  expect_error(policy(2, 1, 2, 2), "monitor", "is the receiver");
  TapPolicy mixed = policy(2, 1, 2, 3);
  mixed.sender.ip = ip(2);
  expect_error(mixed, "sender.ip", "belongs to vm2");
  expect_error(policy(2, 1, 2, 3, "udp6"), "filter", "contradicts");
  TapPolicy tiny = policy(2, 1, 2, 3);
  tiny.truncate = 10;
  expect_error(tiny, "truncate", "at least 14");
  Match no_proto;
  no_proto.set(Field::tcp_dst, 80);
  TapPolicy unchecked = policy(2, 1, 2, 3);
  unchecked.filter = no_proto;
  expect_error(unchecked, "filter", "tcp_dst");
}

TEST(Translator, UnreachableMonitorIsRefused) {
  Topology topo;
  topo.add_switch(Switch{"s1", 1, std::nullopt, {}});
  topo.add_switch(Switch{"s2", 2, std::nullopt, {}});
  topo.add_host(Host{"vm1", mac(1), ip(1), std::nullopt, "s1", 1, ""});
  topo.add_host(Host{"vm2", mac(2), ip(2), std::nullopt, "s1", 2, ""});
  topo.add_host(Host{"vm3", mac(3), ip(3), std::nullopt, "s2", 3, ""});
  Translator t(topo);
  try {
    t.add(policy(1, 1, 2, 3));
    FAIL();
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.field(), "monitor");
    EXPECT_NE(std::string(e.what()).find("not reachable"), std::string::npos);
  }
}

TEST(Translator, SameInputGivesIdenticalPlans) {
  std::vector<TapPolicy> ps{policy(1, 1, 2, 3, "tcp"), policy(2, 1, 2, 4, "tcp,tp_dst=80"), policy(3, 2, 1, 4)};
  Topology topo = line(3, {{1, 1}, {2, 2}, {3, 3}, {4, 2}});
  EXPECT_EQ(translate(topo, ps), translate(topo, ps));
  for (const auto& [name, sp] : translate(topo, ps).switches)
    for (const auto& f : sp.flows) EXPECT_EQ(f.cookie & cookie_magic_mask, cookie_magic) << f.to_string();
}

// Random policies and packets on a three-switch line: the compiled rules, walked hop by
// hop, deliver exactly one unaltered copy to exactly the monitors the model predicts.
TEST(TranslatorProperty, PlanWalkAgreesWithModel) {
  std::mt19937 rng(20261125);
  const std::vector<std::string> filters{"", "tcp", "udp", "tcp,tp_dst=80", "tcp,tp_src=1000", "tcp,tp_dst=80,tp_src=1000",
                                         "ip,nw_ecn=3", "tcp,ip_dscp=10", "ip,nw_dst=10.1.1.0/28", "udp,tp_dst=0x50/0xfff0"};
  for (int round = 0; round < 40; ++round) {
    TranslatorOptions o;
    o.forwarding = round % 2 ? Forwarding::normal : Forwarding::path;
    o.rewrite_destination = round % 4 >= 2;
    Translator t(line(3, {{1, 1}, {2, 2}, {3, 3}, {4, 1}, {5, 2}, {6, 3}}), o);
    std::uniform_int_distribution<int> vm(1, 6), pick(0, static_cast<int>(filters.size()) - 1);
    for (std::uint32_t id = 1; id <= 8; ++id) {
      const int s = vm(rng);
      int r = vm(rng), m = vm(rng);
      if (r == s) r = 0;
      if (m == s || m == r) continue;
      if (r == 0 && o.forwarding == Forwarding::path) r = s % 6 + 1;
      if (m == r) continue;
      TapPolicy p = policy(id, s, r, m, filters[pick(rng)]);
      if (rng() % 3 == 0) p.sender.ip.reset();
      if (rng() % 3 == 0 && r != 0) p.receiver.mac.reset();
      if (rng() % 4 == 0) p.truncate = static_cast<std::uint16_t>(64 + rng() % 3);
      if (rng() % 4 == 0) p.rate_limit = RateLimit{RateLimit::Unit::pktps, 100 + static_cast<std::uint32_t>(rng() % 3), 0};
      t.add(p);
      if (rng() % 5 == 0) t.remove(id);
    }
    const std::vector<std::string> packets{"tcp,tp_src=1000,tp_dst=80", "tcp,tp_src=5,tp_dst=80", "tcp,tp_src=1000,tp_dst=22",
                                           "udp,tp_src=9,tp_dst=81", "udp,tp_src=9,tp_dst=53"};
    for (int from = 1; from <= 6; ++from)
      for (int to = 1; to <= 6; ++to) {
        if (from == to) continue;
        for (const auto& proto : packets)
          for (const char* extra : {"", ",nw_ecn=3,ip_dscp=10"}) {
            const std::string pkt = proto + ",dl_src=" + mac(from).to_string() + ",dl_dst=" + mac(to).to_string() +
                                    ",nw_src=" + ip(from).to_string() + ",nw_dst=" + ip(to).to_string() + extra;
            const Explanation ex = explain(t, Match::parse(pkt));
            std::vector<std::string> expected;
            for (const auto& c : ex.copies) expected.push_back(c.target);
            std::vector<std::string> got = ex.delivered;
            std::sort(got.begin(), got.end());
            ASSERT_EQ(got, expected) << "round " << round << " packet " << pkt << "\n" << ex.to_string();
          }
      }
  }
}

}  // namespace
}  // namespace vtap
