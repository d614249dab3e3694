#pragma once
/// @file
/// Per-policy counters, and how they are read off a switch's rules (docs/design.md §6.5).
#include <cstdint>
#include <map>
#include <span>

#include "libvtap/translate/translator.hpp"
#include "libvtap/transport/transport.hpp"

namespace vtap {

/// Counters of one policy, summed over its rewriting rules on every switch.
struct PolicyStats {
  std::uint64_t packets = 0;      ///< Packets that matched the policy's rules.
  std::uint64_t bytes = 0;
  std::uint64_t copies = 0;       ///< Copies sent toward its monitor (or tunnel).
  std::uint64_t copy_bytes = 0;
  bool operator==(const PolicyStats&) const = default;
  PolicyStats& operator+=(const PolicyStats& other) noexcept;
};

/// Adds to `out` what one switch counted for each policy of its rewriting rules `rules`
/// (sorted by group id, as Translator::tap_rules gives them): a rule's packets and bytes to
/// every policy it serves, a copy bucket's to the policies that want that copy.
void add_switch_stats(std::map<std::uint32_t, PolicyStats>& out, const SwitchStats& stats,
                      std::span<const TapRule> rules);

}  // namespace vtap
