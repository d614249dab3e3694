#include "libvtap/translate/transition.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace vtap {
namespace {

// Rules keyed by what makes them the same rule on a switch; later lists override earlier.
template <class T, class Key>
std::vector<T> merged(std::initializer_list<std::pair<const std::vector<T>*, bool (*)(const T&)>> parts, Key key) {
  std::map<decltype(key(std::declval<const T&>())), const T*> by_key;
  for (const auto& [list, keep] : parts)
    for (const T& item : *list)
      if (keep(item)) by_key[key(item)] = &item;
  std::vector<T> out;
  out.reserve(by_key.size());
  for (const auto& [k, item] : by_key) out.push_back(*item);
  std::sort(out.begin(), out.end());
  return out;
}

auto flow_key = [](const FlowRule& f) { return std::tuple(f.table, f.priority, f.match); };
auto group_key = [](const GroupEntry& g) { return g.group_id; };
auto meter_key = [](const MeterEntry& m) { return m.meter_id; };

template <class T>
bool all(const T&) { return true; }
bool rewriting(const FlowRule& f) { return is_rewriting_rule(f); }
bool carrying(const FlowRule& f) { return !is_rewriting_rule(f); }

}  // namespace

bool is_rewriting_rule(const FlowRule& rule) noexcept {
  if ((rule.cookie & cookie_magic_mask) != cookie_magic) return false;
  const auto kind = static_cast<RuleKind>((rule.cookie >> 40) & 0xff);
  return kind == RuleKind::tap || kind == RuleKind::composed;
}

std::array<SwitchPlan, 3> make_before_break(const SwitchPlan& from, const SwitchPlan& to) {
  std::array<SwitchPlan, 3> steps;
  // 1: old state, plus the new carrying rules, new groups (existing ones unchanged) and meters.
  std::set<std::uint32_t> old_ids;
  for (const GroupEntry& g : from.groups) old_ids.insert(g.group_id);
  std::vector<GroupEntry> new_groups;
  for (const GroupEntry& g : to.groups)
    if (!old_ids.contains(g.group_id)) new_groups.push_back(g);
  steps[0].flows = merged<FlowRule>({{&from.flows, all<FlowRule>}, {&to.flows, carrying}}, flow_key);
  steps[0].groups = merged<GroupEntry>({{&from.groups, all<GroupEntry>}, {&new_groups, all<GroupEntry>}}, group_key);
  steps[0].meters = merged<MeterEntry>({{&from.meters, all<MeterEntry>}, {&to.meters, all<MeterEntry>}}, meter_key);
  // 2: the new rewriting rules and groups; old carrying rules and groups stay.
  steps[1].flows = merged<FlowRule>({{&steps[0].flows, carrying}, {&to.flows, rewriting}}, flow_key);
  steps[1].groups = merged<GroupEntry>({{&from.groups, all<GroupEntry>}, {&to.groups, all<GroupEntry>}}, group_key);
  steps[1].meters = steps[0].meters;
  // 3: exactly the new plan.
  steps[2] = to;
  return steps;
}

}  // namespace vtap
