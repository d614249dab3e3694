#pragma once
/// @file
/// OpenFlow flow rules, groups, meters and actions, printed in `ovs-ofctl` syntax so a
/// plan can be fed to `ovs-ofctl -O OpenFlow15 add-flows/add-groups/add-meters`.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "libvtap/model/match.hpp"

namespace vtap {

/// Reserved OpenFlow port numbers (OpenFlow 1.5 §7.2.1).
inline constexpr std::uint32_t port_in_port = 0xfffffff8;
inline constexpr std::uint32_t port_normal = 0xfffffffa;
inline constexpr std::uint32_t port_controller = 0xfffffffd;
inline constexpr std::uint32_t port_local = 0xfffffffe;

/// Output to `port`; with `max_len`, the copy is truncated to that many bytes (OVS
/// `output(port=N,max_len=L)`, the Nicira NXAST_OUTPUT_TRUNC extension).
struct OutputAction {
  std::uint32_t port = 0;
  std::optional<std::uint16_t> max_len;
  auto operator<=>(const OutputAction&) const = default;
};
/// Apply group `group_id`.
struct GroupAction {
  std::uint32_t group_id = 0;
  auto operator<=>(const GroupAction&) const = default;
};
/// Set `field` to `value` (OFPAT_SET_FIELD), e.g. `set_field:fa:00:00:00:00:03->eth_dst`.
struct SetFieldAction {
  Field field = Field::eth_dst;
  FieldBytes value{};
  auto operator<=>(const SetFieldAction&) const = default;
};
/// Push a VLAN header with TPID `ethertype` (0x8100 or 0x88a8).
struct PushVlanAction {
  std::uint16_t ethertype = 0x8100;
  auto operator<=>(const PushVlanAction&) const = default;
};
/// Pop the outermost VLAN header.
struct PopVlanAction {
  auto operator<=>(const PopVlanAction&) const = default;
};
/// Pass through meter `meter_id` (OpenFlow 1.5 OFPAT_METER).
struct MeterAction {
  std::uint32_t meter_id = 0;
  auto operator<=>(const MeterAction&) const = default;
};
/// Continue in `table` of this switch (Nicira `resubmit(,T)`).
struct ResubmitAction {
  std::uint8_t table = 0;
  auto operator<=>(const ResubmitAction&) const = default;
};

using Action = std::variant<OutputAction, GroupAction, SetFieldAction, PushVlanAction, PopVlanAction,
                            MeterAction, ResubmitAction>;

/// `ovs-ofctl` text of one action.
std::string to_string(const Action& action);
/// `ovs-ofctl` text of an action list joined by commas; `drop` when empty.
std::string to_string(const std::vector<Action>& actions);
/// Text of a port number: the name of a reserved port (`NORMAL`) or the decimal number.
std::string port_to_string(std::uint32_t port);

/// One flow table entry.
struct FlowRule {
  std::uint8_t table = 0;
  std::uint16_t priority = 0;
  std::uint64_t cookie = 0;
  Match match;
  std::vector<Action> actions;  ///< Applied immediately (apply-actions).
  /// One `ovs-ofctl add-flows` line: `table=0,priority=..,cookie=0x..,MATCH,actions=...`.
  std::string to_string() const;
  auto operator<=>(const FlowRule&) const = default;
};

enum class GroupType : std::uint8_t { all, select, indirect, fast_failover };
std::string to_string(GroupType type);

/// One group bucket; OpenFlow 1.5 bucket ids are kept explicit for stable diffs.
struct Bucket {
  std::uint32_t bucket_id = 0;
  std::vector<Action> actions;
  auto operator<=>(const Bucket&) const = default;
};

/// One group table entry.
struct GroupEntry {
  std::uint32_t group_id = 0;
  GroupType type = GroupType::all;
  std::vector<Bucket> buckets;
  /// One `ovs-ofctl add-groups` line (OpenFlow 1.5 syntax with bucket ids).
  std::string to_string() const;
  auto operator<=>(const GroupEntry&) const = default;
};

/// A meter with one drop band: limits what passes through it to `rate`.
struct MeterEntry {
  enum class Unit : std::uint8_t { pktps, kbps };
  std::uint32_t meter_id = 0;
  Unit unit = Unit::pktps;
  std::uint32_t rate = 0;
  std::uint32_t burst = 0;  ///< 0 means no burst size is set.
  /// One `ovs-ofctl add-meters` line: `meter=1,pktps,bands=type=drop,rate=1000`.
  std::string to_string() const;
  auto operator<=>(const MeterEntry&) const = default;
};

}  // namespace vtap
