// The match field table: names, widths, maskability and text format of every field, and
// the full mask each width implies.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "libvtap/model/match.hpp"
#include "match_internal.hpp"

namespace vtap {
namespace match_internal {

using F = Field;
using Fmt = FieldFormat;

constexpr std::array<FieldInfo, field_count> kFieldTable = {{
    {F::in_port, "in_port", "", 32, false, Fmt::decimal},
    {F::tun_id, "tun_id", "tunnel_id", 64, true, Fmt::hexadecimal},
    {F::tun_dst, "tun_dst", "", 32, true, Fmt::ipv4},
    {F::metadata, "metadata", "", 64, true, Fmt::hexadecimal},
    {F::eth_src, "dl_src", "eth_src", 48, true, Fmt::ethernet},
    {F::eth_dst, "dl_dst", "eth_dst", 48, true, Fmt::ethernet},
    {F::eth_type, "dl_type", "eth_type", 16, false, Fmt::hexadecimal},
    // Printed as `dl_vlan=N` when it is an exact, present VID, else `vlan_vid=0x..../0x....`.
    {F::vlan_vid, "vlan_vid", "dl_vlan", 13, true, Fmt::vlan},
    {F::vlan_pcp, "dl_vlan_pcp", "vlan_pcp", 3, false, Fmt::decimal},
    {F::mpls_label, "mpls_label", "", 20, false, Fmt::decimal},
    {F::mpls_tc, "mpls_tc", "", 3, false, Fmt::decimal},
    {F::mpls_bos, "mpls_bos", "", 1, false, Fmt::decimal},
    {F::ipv4_src, "nw_src", "ip_src", 32, true, Fmt::ipv4},
    {F::ipv4_dst, "nw_dst", "ip_dst", 32, true, Fmt::ipv4},
    {F::ipv6_src, "ipv6_src", "", 128, true, Fmt::ipv6},
    {F::ipv6_dst, "ipv6_dst", "", 128, true, Fmt::ipv6},
    {F::ipv6_label, "ipv6_label", "ipv6_flabel", 20, true, Fmt::hexadecimal},
    {F::ip_proto, "nw_proto", "ip_proto", 8, false, Fmt::decimal},
    {F::ip_dscp, "ip_dscp", "", 6, false, Fmt::decimal},
    {F::ip_ecn, "nw_ecn", "ip_ecn", 2, false, Fmt::decimal},
    {F::arp_op, "arp_op", "", 16, false, Fmt::decimal},
    {F::arp_spa, "arp_spa", "", 32, true, Fmt::ipv4},
    {F::arp_tpa, "arp_tpa", "", 32, true, Fmt::ipv4},
    {F::arp_sha, "arp_sha", "", 48, true, Fmt::ethernet},
    {F::arp_tha, "arp_tha", "", 48, true, Fmt::ethernet},
    // OVS prints every L4 port as tp_src/tp_dst; the alias is the unambiguous name.
    {F::tcp_src, "tp_src", "tcp_src", 16, true, Fmt::decimal},
    {F::tcp_dst, "tp_dst", "tcp_dst", 16, true, Fmt::decimal},
    {F::tcp_flags, "tcp_flags", "", 12, true, Fmt::tcp_flags},
    {F::udp_src, "tp_src", "udp_src", 16, true, Fmt::decimal},
    {F::udp_dst, "tp_dst", "udp_dst", 16, true, Fmt::decimal},
    {F::sctp_src, "tp_src", "sctp_src", 16, true, Fmt::decimal},
    {F::sctp_dst, "tp_dst", "sctp_dst", 16, true, Fmt::decimal},
    {F::icmpv4_type, "icmp_type", "icmpv4_type", 8, false, Fmt::decimal},
    {F::icmpv4_code, "icmp_code", "icmpv4_code", 8, false, Fmt::decimal},
    {F::icmpv6_type, "icmpv6_type", "", 8, false, Fmt::decimal},
    {F::icmpv6_code, "icmpv6_code", "", 8, false, Fmt::decimal},
    {F::nd_target, "nd_target", "", 128, true, Fmt::ipv6},
    {F::nd_sll, "nd_sll", "", 48, true, Fmt::ethernet},
    {F::nd_tll, "nd_tll", "", 48, true, Fmt::ethernet},
    {F::tun_erspan_idx, "tun_erspan_idx", "", 20, true, Fmt::hexadecimal},
    {F::tun_erspan_ver, "tun_erspan_ver", "", 4, true, Fmt::decimal},
}};

namespace {

constexpr bool table_is_in_enum_order() {
  for (std::size_t i = 0; i < field_count; ++i) {
    if (static_cast<std::size_t>(kFieldTable[i].field) != i) return false;
  }
  return true;
}
static_assert(table_is_in_enum_order(), "kFieldTable must list fields in enum order");

constexpr FieldBytes make_full_mask(unsigned bits) noexcept {
  FieldBytes m{};
  const std::size_t n = bytes_of(bits);
  for (std::size_t i = 0; i < n; ++i) m[i] = 0xff;
  const unsigned spare = static_cast<unsigned>(n * 8U - bits);
  if (n > 0) m[0] = static_cast<std::uint8_t>(0xffU >> spare);
  return m;
}

constexpr std::array<FieldBytes, field_count> make_full_masks() noexcept {
  std::array<FieldBytes, field_count> masks{};
  for (std::size_t i = 0; i < field_count; ++i) masks[i] = make_full_mask(kFieldTable[i].bits);
  return masks;
}

}  // namespace

constexpr std::array<FieldBytes, field_count> kFullMasks = make_full_masks();

std::string_view unique_name(Field f) noexcept {
  const FieldInfo& info = kFieldTable[index(f)];
  return info.name == "tp_src" || info.name == "tp_dst" ? info.alias : info.name;
}

}  // namespace match_internal

using match_internal::bytes_of;
using match_internal::index;
using match_internal::kFieldTable;

const FieldInfo& field_info(Field f) noexcept { return kFieldTable[index(f)]; }

std::optional<Field> field_by_name(std::string_view name) noexcept {
  if (name.empty() || name == "tp_src" || name == "tp_dst") return std::nullopt;
  for (const FieldInfo& info : kFieldTable) {
    if (info.name == name || info.alias == name) return info.field;
  }
  return std::nullopt;
}

std::size_t field_bytes(Field f) noexcept { return bytes_of(kFieldTable[index(f)].bits); }

}  // namespace vtap
