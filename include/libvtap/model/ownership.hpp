#pragma once
/// @file
/// What libvtap owns on a bridge it shares with other controllers (ovn-controller, the
/// Neutron OVS agent, ONOS): flows by cookie, groups and meters by id range.
///
/// Every rule libvtap writes carries a cookie whose top 16 bits are 0x7674 ("vt"); every
/// group and meter it writes has an id in its group and meter range. Reading a switch
/// returns exactly that; nothing else is read as libvtap's or touched. The defaults sit far
/// above the ids other controllers allocate (ovn-controller: 1-65535 for both; ONOS and
/// the Neutron agent count up from small numbers), see docs/ovn.md.

#include <cstdint>
#include <string>
#include <string_view>

namespace vtap {

/// Cookies: the top 16 bits say "libvtap", the next 8 the kind of rule, the low 32 bits the
/// policy id (single policy), a hash of the policy set (composition) or the copy mark.
inline constexpr std::uint64_t cookie_magic = 0x7674ULL << 48;
inline constexpr std::uint64_t cookie_magic_mask = 0xffffULL << 48;
enum class RuleKind : std::uint8_t { tap = 1, composed = 2, transit = 3, recovery = 4, copy = 5 };
constexpr std::uint64_t make_cookie(RuleKind kind, std::uint32_t id) noexcept {
  return cookie_magic | (static_cast<std::uint64_t>(kind) << 40) | id;
}
/// True when `cookie` marks a rule libvtap wrote.
constexpr bool is_libvtap_cookie(std::uint64_t cookie) noexcept { return (cookie & cookie_magic_mask) == cookie_magic; }
/// The kind of rule a libvtap cookie marks (bits 40..47).
constexpr RuleKind rule_kind(std::uint64_t cookie) noexcept { return static_cast<RuleKind>((cookie >> 40) & 0xff); }

/// An inclusive range of group or meter ids, written `FIRST-LAST` (decimal or 0x hex).
struct IdRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;

  constexpr bool contains(std::uint32_t id) const noexcept { return first <= id && id <= last; }
  /// How many ids the range holds (as 64 bits: 0-0xffffffff holds 2^32).
  constexpr std::uint64_t size() const noexcept { return std::uint64_t{last} - first + 1; }
  /// e.g. `0xe0000000-0xefffffff`.
  std::string to_string() const;
  /// Parses `FIRST-LAST`; throws ParseError naming `what` (e.g. "groups") when the text is
  /// not a range, FIRST > LAST, FIRST is 0 or LAST exceeds `max`.
  static IdRange parse(std::string_view text, std::string_view what, std::uint32_t max);
  constexpr bool operator==(const IdRange&) const = default;
};

/// Highest group id OpenFlow allows (OFPG_MAX) and highest meter id (OFPM_MAX).
inline constexpr std::uint32_t max_group_id = 0xffffff00;
inline constexpr std::uint32_t max_meter_id = 0xffff0000;

/// The default ranges: 2^28 ids each, clear of every controller's allocations we know of.
inline constexpr IdRange default_group_range{0xe0000000, 0xefffffff};
inline constexpr IdRange default_meter_range{0xe0000000, 0xefffffff};

/// The groups and meters libvtap owns on a switch (flows it owns by cookie).
struct Ownership {
  IdRange groups = default_group_range;
  IdRange meters = default_meter_range;
  constexpr bool operator==(const Ownership&) const = default;
};

}  // namespace vtap
