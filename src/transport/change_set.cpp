#include "libvtap/transport/change_set.hpp"

#include <algorithm>
#include <compare>
#include <map>
#include <tuple>

namespace vtap::openflow {
namespace {

// Refers to the rule's match rather than copying it: a Match is a few hundred bytes.
using FlowKey = std::tuple<std::uint8_t, std::uint16_t, const Match&>;
FlowKey key_of(const FlowRule& r) { return {r.table, r.priority, r.match}; }

// The rules of `flows` in key order; of two with the same key, the later.
std::vector<const FlowRule*> by_key(const std::vector<FlowRule>& flows) {
  std::vector<const FlowRule*> out;
  out.reserve(flows.size());
  for (const FlowRule& f : flows) out.push_back(&f);
  std::stable_sort(out.begin(), out.end(), [](const FlowRule* a, const FlowRule* b) { return key_of(*a) < key_of(*b); });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (i + 1 == out.size() || key_of(*out[i]) != key_of(*out[i + 1])) out[kept++] = out[i];
  out.resize(kept);
  return out;
}

}  // namespace

std::string ChangeSet::summary() const {
  std::string out;
  auto add = [&](std::size_t n, const char* sign, const char* what) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += std::string(sign) + std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  add(flows_added, "+", "flow");
  add(flows_modified, "~", "flow");
  add(flows_deleted, "-", "flow");
  add(groups_added, "+", "group");
  add(groups_modified, "~", "group");
  add(groups_deleted, "-", "group");
  add(meters_added, "+", "meter");
  add(meters_modified, "~", "meter");
  add(meters_deleted, "-", "meter");
  return out.empty() ? "no change" : out;
}

ChangeSet diff(const SwitchPlan& have, const SwitchPlan& want) {
  ChangeSet c;
  std::map<std::uint32_t, const MeterEntry*> old_meters, new_meters;
  for (const auto& m : have.meters) old_meters[m.meter_id] = &m;
  for (const auto& m : want.meters) new_meters[m.meter_id] = &m;
  for (const auto& [id, m] : new_meters) {
    auto it = old_meters.find(id);
    if (it == old_meters.end()) {
      c.meters_first.push_back(MeterMod{MeterModCommand::add, *m});
      ++c.meters_added;
    } else if (!(*it->second == *m)) {
      c.meters_first.push_back(MeterMod{MeterModCommand::modify, *m});
      ++c.meters_modified;
    }
  }
  for (const auto& [id, m] : old_meters)
    if (!new_meters.contains(id)) {
      c.meters_last.push_back(MeterMod{MeterModCommand::delete_, *m});
      ++c.meters_deleted;
    }

  // Each bundle message is large (a FlowMod holds its match inline), so the changes are
  // decided first and the messages built once, in a vector of the right size.
  std::map<std::uint32_t, const GroupEntry*> old_groups, new_groups;
  for (const auto& g : have.groups) old_groups[g.group_id] = &g;
  for (const auto& g : want.groups) new_groups[g.group_id] = &g;
  std::vector<std::pair<GroupModCommand, const GroupEntry*>> group_changes;
  for (const auto& [id, g] : new_groups) {
    auto it = old_groups.find(id);
    if (it == old_groups.end()) {
      group_changes.emplace_back(GroupModCommand::add, g);
      ++c.groups_added;
    } else if (!(*it->second == *g)) {
      group_changes.emplace_back(GroupModCommand::modify, g);
      ++c.groups_modified;
    }
  }

  const std::vector<const FlowRule*> old_flows = by_key(have.flows), new_flows = by_key(want.flows);
  std::vector<const FlowRule*> flow_deletes, flow_adds;
  for (std::size_t i = 0, j = 0; i < old_flows.size() || j < new_flows.size();) {
    const std::strong_ordering order = i == old_flows.size()   ? std::strong_ordering::greater
                                       : j == new_flows.size() ? std::strong_ordering::less
                                                               : key_of(*old_flows[i]) <=> key_of(*new_flows[j]);
    if (order < 0) {
      flow_deletes.push_back(old_flows[i++]);
      ++c.flows_deleted;
    } else if (order > 0) {
      flow_adds.push_back(new_flows[j++]);
      ++c.flows_added;
    } else {
      if (!(*old_flows[i] == *new_flows[j])) {
        // A cookie change needs an add (modify keeps the old cookie); add replaces in place.
        flow_adds.push_back(new_flows[j]);
        ++c.flows_modified;
      }
      ++i;
      ++j;
    }
  }
  std::vector<const GroupEntry*> group_deletes;
  for (const auto& [id, g] : old_groups)
    if (!new_groups.contains(id)) {
      group_deletes.push_back(g);
      ++c.groups_deleted;
    }

  c.bundle.reserve(group_changes.size() + flow_deletes.size() + flow_adds.size() + group_deletes.size());
  for (const auto& [command, g] : group_changes) c.bundle.push_back(GroupMod{command, *g});
  for (const FlowRule* f : flow_deletes) {
    FlowMod del{FlowModCommand::delete_strict, *f};
    del.rule.actions.clear();
    c.bundle.push_back(std::move(del));
  }
  for (const FlowRule* f : flow_adds) c.bundle.push_back(FlowMod{FlowModCommand::add, *f});
  for (const GroupEntry* g : group_deletes)
    c.bundle.push_back(GroupMod{GroupModCommand::delete_, GroupEntry{g->group_id, g->type, {}}});
  return c;
}

std::string refusal(const ChangeSet& change, std::optional<std::size_t> index) {
  if (!index || *index >= change.bundle.size()) return "";
  const Message& m = change.bundle[*index];
  if (const auto* f = std::get_if<FlowMod>(&m)) return " refusing flow " + f->rule.to_string();
  if (const auto* g = std::get_if<GroupMod>(&m)) return " refusing group " + g->group.to_string();
  return "";
}

}  // namespace vtap::openflow
