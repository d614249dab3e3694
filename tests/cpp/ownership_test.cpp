// What libvtap owns on a shared bridge, as the translator allocates it: group and meter ids
// from configurable ranges, and the guard that lets the original re-enter a pipeline whose
// first table holds the taps (OVN's br-int).

#include <gtest/gtest.h>

#include "libvtap/model/error.hpp"
#include "libvtap/model/ownership.hpp"
#include "policy_fixtures.hpp"

namespace vtap {
namespace {

using namespace vtap::testing;

TEST(IdRange, ParsesDecimalAndHexAndNamesWhatIsWrong) {
  EXPECT_EQ(IdRange::parse("100-199", "--groups", max_group_id), (IdRange{100, 199}));
  EXPECT_EQ(IdRange::parse("0xe0000000-0xefffffff", "--groups", max_group_id), default_group_range);
  EXPECT_EQ(default_group_range.to_string(), "0xe0000000-0xefffffff");
  EXPECT_EQ(default_group_range.size(), 0x10000000U);
  for (const char* bad : {"", "100", "100-", "-5", "x-9", "10-5", "0-5", "1-0xffffff01", "1-99999999999"}) {
    SCOPED_TRACE(bad);
    try {
      IdRange::parse(bad, "--groups", max_group_id);
      FAIL() << "accepted";
    } catch (const ParseError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--groups: ", 0), 0U) << e.what();
    }
  }
}

TEST(OwnershipTranslation, GroupsAndMetersComeFromTheConfiguredRangesKeyedByPolicyOrder) {
  TranslatorOptions o;
  o.groups = {1000, 1999};
  o.meters = {500, 599};
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}, {4, 1}}), o);
  t.add(policy(1, 1, 2, 3, "tcp,tp_dst=80"));
  TapPolicy limited = policy(2, 2, 1, 4, "udp");
  limited.rate_limit = RateLimit{RateLimit::Unit::pktps, 1000, 0};
  t.add(limited);
  // Overlaps policy 1: their intersection is a composed element with a hashed group.
  t.add(policy(3, 1, 2, 4, "tcp,tp_src=1000"));
  const SwitchPlan sp = t.plan("s1");
  std::vector<std::uint32_t> groups;
  for (const auto& g : sp.groups) groups.push_back(g.group_id);
  ASSERT_EQ(groups.size(), 4U) << ::testing::PrintToString(texts(sp.groups));
  EXPECT_EQ(groups[0], 1000U);  // policy 1: FIRST + order
  EXPECT_EQ(groups[1], 1001U);
  EXPECT_EQ(groups[2], 1002U);
  EXPECT_TRUE(groups[3] >= 1500 && groups[3] <= 1999) << groups[3];  // the composed element, upper half
  ASSERT_EQ(sp.meters.size(), 1U);
  EXPECT_EQ(sp.meters[0].meter_id, 501U);
  for (const auto& f : sp.flows)
    for (const auto& a : f.actions) {
      if (const auto* m = std::get_if<MeterAction>(&a)) {
        EXPECT_EQ(m->meter_id, 501U);
      }
    }
  // Same input, same plan.
  Translator again(line(1, {{1, 1}, {2, 1}, {3, 1}, {4, 1}}), o);
  for (const TapPolicy* p : t.policies()) again.add(*p);
  EXPECT_EQ(again.plan(), t.plan());
}

TEST(OwnershipTranslation, PoliciesBeyondTheKeyedHalfAreHashedAndAFullRangeIsAClearError) {
  TranslatorOptions o;
  o.groups = {10, 13};  // keyed: 10-11 (policies 1-2), hashed: 12-13
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
  for (std::uint32_t id = 1; id <= 4; ++id) t.add(policy(id, 1, 2, 3, "tcp,tp_dst=" + std::to_string(id)));
  std::vector<std::uint32_t> groups;
  for (const auto& g : t.plan("s1").groups) groups.push_back(g.group_id);
  EXPECT_EQ(groups, (std::vector<std::uint32_t>{10, 11, 12, 13}));
  try {
    t.add(policy(5, 1, 2, 3, "tcp,tp_dst=5"));
    FAIL() << "a fifth group fit into four ids";
  } catch (const PolicyError& e) {
    EXPECT_NE(std::string(e.what()).find("no free group id in the group range 0xa-0xd"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.plan("s1").groups.size(), 4U);  // nothing changed

  o.meters = {1, 2};
  Translator m(line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
  TapPolicy limited = policy(3, 1, 2, 3, "tcp");
  limited.rate_limit = RateLimit{RateLimit::Unit::kbps, 100, 0};
  try {
    m.add(limited);
    FAIL() << "policy 3 got a meter from a range of two";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.field(), "rate_limit");
  }
}

TEST(OwnershipTranslation, RangesOutsideWhatOpenFlowAllowsAreRefused) {
  TranslatorOptions o;
  o.groups = {0, 10};
  EXPECT_THROW(Translator(line(1, {}), o), Error);
  o.groups = default_group_range;
  o.meters = {5, 0xffff0001};
  EXPECT_THROW(Translator(line(1, {}), o), Error);
}

TEST(OwnershipTranslation, ResubmittingIntoTheTapsOwnTableTapsEachPacketOnce) {
  TranslatorOptions o;
  o.forwarding = Forwarding::resubmit;
  o.resubmit_table = 0;
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
  t.add(policy(1, 1, 2, 3, "icmp"));
  const SwitchPlan sp = t.plan("s1");
  ASSERT_EQ(sp.flows.size(), 1U);
  EXPECT_EQ(sp.flows[0].to_string(),
            "table=0,priority=40000,cookie=0x7674010000000001,icmp,in_port=1,metadata=0x0,dl_src=fa:00:00:00:00:01,"
            "dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2,actions=group:3758096384");
  EXPECT_EQ(sp.groups[0].to_string(),
            "group_id=3758096384,type=all,bucket=bucket_id:0,actions=set_field:0x8000000000000000->metadata,"
            "resubmit(,0),bucket=bucket_id:1,actions=output:3");
  EXPECT_EQ(walk(t, "icmp,in_port=1,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2"),
            std::vector<std::string>{"vm3"});

  // Into a later table nothing re-enters the taps: no guard.
  o.resubmit_table = 8;
  Translator later(line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
  later.add(policy(1, 1, 2, 3, "icmp"));
  EXPECT_FALSE(later.plan("s1").flows[0].match.has(Field::metadata));
}

}  // namespace
}  // namespace vtap
