#include "libvtap/transport/transport.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace vtap {
namespace {

template <class Entry, class Id>
void keep_in_range(std::vector<Entry>& entries, const IdRange& range, Id Entry::*id) {
  std::erase_if(entries, [&](const Entry& e) { return !range.contains(e.*id); });
  std::sort(entries.begin(), entries.end());
}

// Group and meter ids referenced by `actions`.
template <class F>
void for_each_reference(const std::vector<Action>& actions, F f) {
  for (const Action& a : actions) {
    if (const auto* g = std::get_if<GroupAction>(&a)) f("group", g->group_id);
    if (const auto* m = std::get_if<MeterAction>(&a)) f("meter", m->meter_id);
  }
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// What the refused change may have left behind when it could not be undone.
std::string remains(const openflow::ChangeSet& c) {
  return "; the switch could not be put back and may still hold part of this change (up to " +
         std::to_string(c.flows_added + c.flows_modified) + " flows, " + std::to_string(c.groups_added) + " groups, " +
         std::to_string(c.meters_added) + " meters): the next install or reconciliation removes it";
}

}  // namespace

SwitchPlan SwitchConnection::read_state(const Ownership& owned) {
  SwitchPlan plan;
  plan.flows = read_flows(cookie_magic, cookie_magic_mask);
  std::sort(plan.flows.begin(), plan.flows.end());
  plan.groups = read_groups();
  keep_in_range(plan.groups, owned.groups, &GroupEntry::group_id);
  plan.meters = read_meters();
  keep_in_range(plan.meters, owned.meters, &MeterEntry::meter_id);
  return plan;
}

void SwitchConnection::check_ownership(const openflow::ChangeSet& change, const Ownership& owned) {
  std::set<std::uint32_t> groups, meters;
  for (const auto& m : change.bundle)
    if (const auto* g = std::get_if<openflow::GroupMod>(&m); g && g->command != openflow::GroupModCommand::add)
      groups.insert(g->group.group_id);
  for (const auto& m : change.meters_first)
    if (m.command != openflow::MeterModCommand::add) meters.insert(m.meter.meter_id);
  for (const auto& m : change.meters_last) meters.insert(m.meter.meter_id);
  if (groups.empty() && meters.empty()) return;

  std::vector<std::string> found;
  auto note = [&](const std::string& user) {
    return [&, user](const char* kind, std::uint32_t id) {
      const auto& ids = std::string_view(kind) == "group" ? groups : meters;
      if (ids.contains(id) && found.size() < 5) found.push_back(std::string(kind) + " " + hex(id) + " is used by " + user);
    };
  };
  for (const FlowRule& f : read_flows(0, 0))
    if (!is_libvtap_cookie(f.cookie))
      for_each_reference(f.actions, note("flow " + f.to_string()));
  for (const GroupEntry& g : read_groups())
    if (!owned.groups.contains(g.group_id))
      for (const Bucket& b : g.buckets) for_each_reference(b.actions, note("group " + hex(g.group_id)));
  if (found.empty()) return;
  std::string what = target() + ": another controller uses ids in libvtap's ranges (groups " + owned.groups.to_string() +
                     ", meters " + owned.meters.to_string() + "): ";
  for (std::size_t i = 0; i < found.size(); ++i) what += (i ? "; " : "") + found[i];
  throw OwnershipError(what + "; nothing was changed: choose --groups/--meters ranges the other controller does not use");
}

openflow::InstallReport SwitchConnection::install(const SwitchPlan& want, const Ownership& owned) {
  const SwitchPlan have = read_state(owned);
  openflow::InstallReport report;
  report.change = openflow::diff(have, want);
  if (report.change.empty()) return report;
  check_ownership(report.change, owned);
  try {
    report.bundle = apply(report.change);
  } catch (const TransportError& e) {
    // Undo what went in before the refusal: meters added first and committed chunks.
    std::string outcome = "; the switch was put back as it was";
    try {
      const openflow::ChangeSet undo = openflow::diff(read_state(owned), have);
      if (!undo.empty()) apply(undo);
    } catch (const Error&) {
      outcome = remains(report.change);
    }
    throw TransportError(e.code(), e.what() + outcome, e.failed_index(), e.switch_error());
  }
  return report;
}

}  // namespace vtap
