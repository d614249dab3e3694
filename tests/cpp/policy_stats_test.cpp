// Per-policy counters read off a switch's rules (policy_stats.hpp): a rule's packets go to
// every policy it serves, a copy bucket's to the policies that want that copy, and what is not
// a rewriting rule of the translator's counts for nobody.

#include <gtest/gtest.h>

#include "libvtap/model/ownership.hpp"
#include "libvtap/service/policy_stats.hpp"

namespace vtap {
namespace {

openflow::FlowStats flow(std::uint64_t cookie, std::uint32_t group, std::uint64_t packets, std::uint64_t bytes) {
  openflow::FlowStats f;
  f.rule.cookie = cookie;
  f.rule.actions.push_back(GroupAction{group});
  f.packet_count = packets;
  f.byte_count = bytes;
  return f;
}

TEST(PolicyStats, RulesAndCopyBucketsCountForThePoliciesTheyServe) {
  // Group 7: policies 1 and 2 composed, one copy bucket each; group 9: policy 3 alone.
  const std::vector<TapRule> rules{{make_cookie(RuleKind::composed, 0x51), 7, {1, 2}, {{1}, {2}}},
                                   {make_cookie(RuleKind::tap, 3), 9, {3}, {{3}}},
                                   {make_cookie(RuleKind::tap, 4), 11, {4}, {{4}}}};
  SwitchStats s;
  s.flows = {flow(make_cookie(RuleKind::composed, 0x51), 7, 10, 1000), flow(make_cookie(RuleKind::tap, 3), 9, 5, 500),
             flow(make_cookie(RuleKind::transit, 3000), 7, 99, 9900),  // carries copies: counts for nobody
             flow(make_cookie(RuleKind::tap, 8), 13, 99, 9900)};        // a group of no rule here
  s.groups = {{7, 1, {10, 1000}, {{10, 1000}, {4, 400}, {6, 600}}},
              {9, 1, {5, 500}, {{5, 500}, {5, 500}}},
              {13, 1, {99, 9900}, {{99, 9900}, {99, 9900}}}};
  std::map<std::uint32_t, PolicyStats> out{{1, {1, 1, 1, 1}}};  // added to, not replaced
  add_switch_stats(out, s, rules);
  EXPECT_EQ(out, (std::map<std::uint32_t, PolicyStats>{{1, {11, 1001, 5, 401}},
                                                        {2, {10, 1000, 6, 600}},
                                                        {3, {5, 500, 5, 500}}}));
}

TEST(PolicyStats, AGroupWithFewerBucketsThanItsRuleCountsWhatItHas) {
  const std::vector<TapRule> rules{{make_cookie(RuleKind::tap, 1), 5, {1}, {{1}, {1}}}};
  SwitchStats s;
  s.groups = {{5, 1, {3, 300}, {{3, 300}, {2, 200}}}};
  std::map<std::uint32_t, PolicyStats> out;
  add_switch_stats(out, s, rules);
  EXPECT_EQ(out.at(1), (PolicyStats{0, 0, 2, 200}));
}

}  // namespace
}  // namespace vtap
