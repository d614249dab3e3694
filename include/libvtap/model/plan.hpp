#pragma once
/// @file
/// A plan: the OpenFlow state every switch must hold (meters, groups, flows), the output of
/// translation and the input of installation.

#include <map>
#include <string>
#include <vector>

#include "libvtap/model/flow.hpp"

namespace vtap {

/// The OpenFlow state one switch must hold. Each list is sorted.
struct SwitchPlan {
  std::vector<MeterEntry> meters;
  std::vector<GroupEntry> groups;
  std::vector<FlowRule> flows;
  bool empty() const noexcept { return meters.empty() && groups.empty() && flows.empty(); }
  bool operator==(const SwitchPlan&) const = default;
};

/// The state of every switch that needs any, by switch name.
struct Plan {
  std::map<std::string, SwitchPlan> switches;
  bool operator==(const Plan&) const = default;
};

/// What a change did to one switch's plan: the entries it removed or replaced (`before`)
/// and those it added or replaced them with (`after`). Entries the change left alone are in
/// neither, so `before` and `after` are as small as the change; an entry replaced by one
/// with the same key (a flow's table, priority and match; a group's or meter's id) is in
/// both. Applying `diff(before, after)` to a switch that holds `before` makes the change.
struct SwitchDelta {
  SwitchPlan before;
  SwitchPlan after;
  bool operator==(const SwitchDelta&) const = default;
};

/// The deltas of every switch a change touched, by switch name.
using PlanDelta = std::map<std::string, SwitchDelta>;

}  // namespace vtap
