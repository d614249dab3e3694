// Tests for openflow::diff (installer.hpp): which messages the minimal change holds, and in
// which order the bundle carries them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libvtap/transport/change_set.hpp"

namespace vtap::openflow {
namespace {

FlowRule flow(std::uint8_t table, std::uint16_t priority, const char* match, std::uint64_t cookie, std::uint32_t group) {
  return FlowRule{table, priority, cookie, Match::parse(match), {GroupAction{group}}};
}
GroupEntry group(std::uint32_t id, std::uint32_t port) {
  return GroupEntry{id, GroupType::all, {Bucket{0, {OutputAction{port, {}}}}}};
}

// One line per bundle message: what it does to which rule.
std::vector<std::string> describe(const ChangeSet& c) {
  std::vector<std::string> out;
  for (const Message& m : c.bundle) {
    if (const auto* f = std::get_if<FlowMod>(&m)) {
      out.push_back((f->command == FlowModCommand::add ? "add " : "delete_strict ") + f->rule.to_string());
    } else {
      const auto& g = std::get<GroupMod>(m);
      const char* what = g.command == GroupModCommand::add ? "add " : g.command == GroupModCommand::modify ? "modify " : "delete ";
      out.push_back(what + g.group.to_string());
    }
  }
  return out;
}

TEST(InstallerDiff, GroupsFirstThenFlowDeletesThenFlowAddsThenGroupDeletes) {
  SwitchPlan have, want;
  have.groups = {group(1, 1), group(2, 2), group(5, 5)};
  have.flows = {flow(0, 10, "tcp,tp_dst=80", 0x1, 1), flow(0, 11, "udp", 0x1, 2), flow(1, 5, "ip", 0x1, 5),
                flow(0, 20, "ip", 0x1, 1)};
  want.groups = {group(3, 3), group(2, 9), group(1, 1)};
  want.flows = {flow(0, 20, "ip", 0x1, 1), flow(2, 1, "ip", 0x1, 2), flow(0, 11, "udp", 0x1, 3),
                flow(0, 12, "arp", 0x1, 3), flow(0, 10, "tcp,tp_dst=80", 0x2, 1)};
  const ChangeSet c = diff(have, want);
  const std::vector<std::string> expected = {
      "modify " + group(2, 9).to_string(),
      "add " + group(3, 3).to_string(),
      "delete_strict " + FlowRule{1, 5, 0x1, Match::parse("ip"), {}}.to_string(),
      "add " + flow(0, 10, "tcp,tp_dst=80", 0x2, 1).to_string(),
      "add " + flow(0, 11, "udp", 0x1, 3).to_string(),
      "add " + flow(0, 12, "arp", 0x1, 3).to_string(),
      "add " + flow(2, 1, "ip", 0x1, 2).to_string(),
      "delete " + GroupEntry{5, GroupType::all, {}}.to_string(),
  };
  EXPECT_EQ(describe(c), expected);
  EXPECT_EQ(c.summary(), "+2 flows, ~2 flows, -1 flow, +1 group, ~1 group, -1 group");
  const auto& del = std::get<GroupMod>(c.bundle.back());
  EXPECT_EQ(del.group.type, GroupType::all);
  EXPECT_TRUE(del.group.buckets.empty());
}

TEST(InstallerDiff, NoChangeAndTheLastOfTwoRulesWithOneKey) {
  SwitchPlan plan;
  plan.groups = {group(1, 1)};
  plan.flows = {flow(0, 10, "ip", 0x1, 1)};
  EXPECT_TRUE(diff(plan, plan).empty());
  SwitchPlan want = plan;
  want.flows.push_back(flow(0, 10, "ip", 0x7, 1));  // Same table, priority and match: it wins.
  const ChangeSet c = diff(plan, want);
  ASSERT_EQ(c.bundle.size(), 1U);
  EXPECT_EQ(std::get<FlowMod>(c.bundle[0]).rule.cookie, 0x7U);
  EXPECT_EQ(c.flows_modified, 1U);
}

}  // namespace
}  // namespace vtap::openflow
