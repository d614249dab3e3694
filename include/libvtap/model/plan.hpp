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

}  // namespace vtap
