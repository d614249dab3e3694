#pragma once
/// @file
/// The minimal change between two SwitchPlans, as the messages that make it: meters first,
/// then flows and groups in atomic bundles, then meter deletions. Every transport applies a
/// ChangeSet (transport.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "libvtap/model/plan.hpp"
#include "libvtap/openflow/messages.hpp"

namespace vtap::openflow {

/// The minimal change that turns one switch's libvtap state `have` into `want`.
struct ChangeSet {
  std::vector<MeterMod> meters_first;  ///< Adds and modifications (OVS bundles hold no meters).
  std::vector<Message> bundle;         ///< Group adds/modifies, flow deletes, flow adds/modifies, group deletes.
  std::vector<MeterMod> meters_last;   ///< Deletions, once nothing uses them.
  std::size_t flows_added = 0, flows_modified = 0, flows_deleted = 0;
  std::size_t groups_added = 0, groups_modified = 0, groups_deleted = 0;
  std::size_t meters_added = 0, meters_modified = 0, meters_deleted = 0;

  bool empty() const noexcept { return meters_first.empty() && bundle.empty() && meters_last.empty(); }
  /// How many OpenFlow messages make the change: meter mods and bundled flow and group mods.
  std::size_t messages() const noexcept { return meters_first.size() + bundle.size() + meters_last.size(); }
  /// e.g. `+2 flows, ~1 group, -1 meter` or `no change`.
  std::string summary() const;
};

/// Pure: the change from `have` to `want`. Flows are the same rule when table, priority and
/// match agree (then a different cookie or action list is a modification).
ChangeSet diff(const SwitchPlan& have, const SwitchPlan& want);

/// What the switch refused, for an error message: ` refusing flow TEXT` or ` refusing group
/// TEXT` for bundle message `index` of `change`; empty for none.
std::string refusal(const ChangeSet& change, std::optional<std::size_t> index);

/// What a bundle operation did.
struct BundleResult {
  std::size_t messages = 0;
  std::size_t bundles = 0;
  /// On failure: index (in the caller's list) of the message the switch refused, if known.
  std::optional<std::size_t> failed_index;
  std::optional<ErrorMessage> error;  ///< The switch's error for it.
};

/// What an install did.
struct InstallReport {
  ChangeSet change;
  BundleResult bundle;
};

}  // namespace vtap::openflow
