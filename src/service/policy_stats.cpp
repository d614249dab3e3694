// Per-policy counters read off a switch's rewriting rules (policy_stats.hpp).

#include "libvtap/service/policy_stats.hpp"

#include <algorithm>

#include "libvtap/translate/transition.hpp"

namespace vtap {

PolicyStats& PolicyStats::operator+=(const PolicyStats& other) noexcept {
  packets += other.packets;
  bytes += other.bytes;
  copies += other.copies;
  copy_bytes += other.copy_bytes;
  return *this;
}

void add_switch_stats(std::map<std::uint32_t, PolicyStats>& out, const SwitchStats& stats,
                      std::span<const TapRule> rules) {
  // Translator::tap_rules lists rules by group id.
  auto rule_of = [&](std::uint32_t group_id) -> const TapRule* {
    auto it = std::lower_bound(rules.begin(), rules.end(), group_id,
                               [](const TapRule& r, std::uint32_t id) { return r.group_id < id; });
    return it != rules.end() && it->group_id == group_id ? &*it : nullptr;
  };
  for (const auto& f : stats.flows) {
    if (!is_rewriting_rule(f.rule)) continue;
    for (const Action& a : f.rule.actions)
      if (const auto* g = std::get_if<GroupAction>(&a))
        if (const TapRule* r = rule_of(g->group_id))
          for (std::uint32_t id : r->policies) {
            out[id].packets += f.packet_count;
            out[id].bytes += f.byte_count;
          }
  }
  for (const auto& g : stats.groups) {
    const TapRule* r = rule_of(g.group_id);
    if (!r) continue;
    for (std::size_t b = 1; b < g.buckets.size() && b - 1 < r->buckets.size(); ++b)
      for (std::uint32_t id : r->buckets[b - 1]) {
        out[id].copies += g.buckets[b].packet_count;
        out[id].copy_bytes += g.buckets[b].byte_count;
      }
  }
}

}  // namespace vtap
