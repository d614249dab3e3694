#pragma once
/// @file
/// Which monitors get a copy of a packet, and why: from the policies (the model) and,
/// as a cross-check, from walking the compiled plan hop by hop.

#include <cstdint>
#include <string>
#include <vector>

#include "libvtap/model/match.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap {

/// Whether one direction of one policy copies the packet.
struct Verdict {
  std::uint32_t policy_id = 0;
  bool reverse = false;  ///< The receiver-to-sender direction of a Direction::both policy.
  bool matches = false;
  std::string reason;    ///< Why not, e.g. `needs tp_dst=80, packet has tp_dst=22`.
};

/// One copy destination and the policies that ask for it.
struct CopyTarget {
  std::string target;  ///< Monitor host name, or `tunnel 192.0.2.9 key 7`.
  std::vector<std::uint32_t> policy_ids;
  auto operator<=>(const CopyTarget&) const = default;
};

/// The answer of explain().
struct Explanation {
  std::string sender;                  ///< Host the packet comes from.
  Match packet;                        ///< The packet, with in_port filled in.
  std::vector<Verdict> verdicts;       ///< One per policy direction, by policy id.
  std::vector<CopyTarget> copies;      ///< Exactly one entry per monitor that gets a copy.
  std::vector<std::string> delivered;  ///< Copy destinations reached by walking the plan.
  /// Human-readable report, one line per fact.
  std::string to_string() const;
};

/// Explains `packet` (exact fields in ovs-fields syntax; it must name its sender by
/// `dl_src`, `nw_src` or `ipv6_src`). Throws Error when the sender cannot be found.
Explanation explain(const Translator& translator, const Match& packet);

/// Copy destinations of `packet` sent by `sender`, found by executing `plan` hop by hop the
/// way Open vSwitch does: the highest-priority matching rule of `table` (where libvtap's
/// rules are), group buckets as OpenFlow action sets, resubmits, transit and recovery
/// rules. A copy that reaches a host altered (not equal to `packet`) or is lost is reported
/// as `ALTERED: host` or `LOST: why`, so callers can tell.
std::vector<std::string> simulate(const Topology& topology, const Plan& plan, const Host& sender, const Match& packet,
                                  std::uint8_t table = 0);

}  // namespace vtap
