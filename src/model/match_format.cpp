// Printing matches as `ovs-ofctl` does: names, values and masks in ovs-fields(7) syntax,
// and the protocol shorthands (`tcp`, `udp6`, ...) that stand for dl_type and nw_proto.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "libvtap/model/address.hpp"
#include "libvtap/model/match.hpp"
#include "match_internal.hpp"

namespace vtap {

using namespace match_internal;

namespace {

using Fmt = FieldFormat;

// Printing prefers the first entry that fits, so the ones that also fix nw_proto come first.
constexpr std::array<Shorthand, 13> kShorthands = {{
    {"tcp", 0x0800, 6},
    {"udp", 0x0800, 17},
    {"sctp", 0x0800, 132},
    {"icmp", 0x0800, 1},
    {"tcp6", 0x86dd, 6},
    {"udp6", 0x86dd, 17},
    {"sctp6", 0x86dd, 132},
    {"icmp6", 0x86dd, 58},
    {"ip", 0x0800, -1},
    {"ipv6", 0x86dd, -1},
    {"arp", 0x0806, -1},
    {"mpls", 0x8847, -1},
    {"mplsm", 0x8848, -1},
}};

bool ipv4_mask_is_cidr(std::uint32_t m) noexcept { return (~m & (~m + 1U)) == 0; }

// Returns the prefix length when `mask` (of `n` bytes) is a CIDR mask.
std::optional<unsigned> cidr_length(const FieldBytes& mask, std::size_t n) noexcept {
  unsigned length = 0;
  std::size_t i = 0;
  while (i < n && mask[i] == 0xff) {
    length += 8;
    ++i;
  }
  if (i < n) {
    const std::uint8_t b = mask[i];
    const auto inverted = static_cast<std::uint8_t>(~b);
    if ((inverted & static_cast<std::uint8_t>(inverted + 1U)) != 0) return std::nullopt;
    length += static_cast<unsigned>(std::popcount(b));
    ++i;
  }
  for (; i < n; ++i) {
    if (mask[i] != 0) return std::nullopt;
  }
  return length;
}

Ipv6Address to_ipv6(const FieldBytes& bytes) noexcept {
  Ipv6Address::Bytes b{};
  std::copy_n(bytes.begin(), 16, b.begin());
  return Ipv6Address(b);
}

bool is_vlan_present_exact(const Match::Entry& e) noexcept {
  const std::uint64_t v = to_uint(e.value, 2);
  return to_uint(e.mask, 2) == 0x1fff && (v & 0x1000) != 0;
}

std::uint8_t l4_protocol_of(Field f) noexcept {
  switch (f) {
    case Field::tcp_src:
    case Field::tcp_dst:
    case Field::tcp_flags:
      return 6;
    case Field::udp_src:
    case Field::udp_dst:
      return 17;
    case Field::sctp_src:
    case Field::sctp_dst:
      return 132;
    default:
      return 0;
  }
}

// The name to_string uses for `f` in `m`. OVS's generic names (`tp_dst`, `icmp_type`) are
// used only where Match::parse resolves them back to `f`; elsewhere (a match that breaks
// its prerequisites) the unambiguous alias is printed instead.
std::string_view print_name(const Match& m, const Match::Entry& e) noexcept {
  const FieldInfo& info = kFieldTable[index(e.field)];
  switch (e.field) {
    case Field::tcp_src:
    case Field::tcp_dst:
    case Field::udp_src:
    case Field::udp_dst:
    case Field::sctp_src:
    case Field::sctp_dst:
      return m.exact_uint(Field::ip_proto) == l4_protocol_of(e.field) ? info.name : info.alias;
    case Field::icmpv4_type:
    case Field::icmpv4_code:
      return is_icmp6_match(m) ? info.alias : info.name;
    case Field::vlan_vid:
      return is_vlan_present_exact(e) ? std::string_view("dl_vlan") : info.name;
    default:
      return info.name;
  }
}

void append_entry(std::string& out, const Match& m, const Match::Entry& e) {
  out += print_name(m, e);
  out += '=';
  if (e.field == Field::vlan_vid && is_vlan_present_exact(e)) {
    out += std::to_string(to_uint(e.value, 2) & 0xfff);
    return;
  }
  append_value(out, e.field, e.value, e.mask);
}

// The shorthand to_string prints for `eth_type` and `ip_proto`, if any.
const Shorthand* shorthand_for(std::optional<std::uint64_t> eth_type, std::optional<std::uint64_t> ip_proto) noexcept {
  if (!eth_type) return nullptr;
  for (const Shorthand& s : kShorthands) {
    if (s.eth_type != *eth_type) continue;
    if (s.ip_proto >= 0 && ip_proto != static_cast<std::uint64_t>(s.ip_proto)) continue;
    return &s;
  }
  return nullptr;
}

}  // namespace

std::string match_internal::hex(std::uint64_t v, int min_digits) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "0x%0*llx", min_digits, static_cast<unsigned long long>(v));
  return std::string(buf, static_cast<std::size_t>(n));
}

void match_internal::append_value(std::string& out, Field f, const FieldBytes& value, const FieldBytes& mask) {
  const FieldInfo& info = kFieldTable[index(f)];
  const std::size_t n = bytes_of(info.bits);
  const bool exact = mask == full_mask(f);
  switch (info.format) {
    case Fmt::decimal:
    case Fmt::hexadecimal:
    case Fmt::tcp_flags:
    case Fmt::vlan: {
      const std::uint64_t v = to_uint(value, n);
      if (!exact) {
        const int digits = info.format == Fmt::vlan ? 4 : 1;
        out += hex(v, digits);
        out += '/';
        out += hex(to_uint(mask, n), digits);
      } else if (info.format == Fmt::decimal) {
        out += std::to_string(v);
      } else if (info.format == Fmt::vlan) {
        out += hex(v, 4);
      } else {
        out += hex(v, f == Field::eth_type ? 4 : 1);
      }
      return;
    }
    case Fmt::ethernet:
      out += to_mac(value).to_string();
      if (!exact) {
        out += '/';
        out += to_mac(mask).to_string();
      }
      return;
    case Fmt::ipv4: {
      out += Ipv4Address(static_cast<std::uint32_t>(to_uint(value, 4))).to_string();
      if (!exact) {
        const auto m = static_cast<std::uint32_t>(to_uint(mask, 4));
        out += '/';
        out += ipv4_mask_is_cidr(m) ? std::to_string(std::popcount(m)) : Ipv4Address(m).to_string();
      }
      return;
    }
    case Fmt::ipv6:
      out += to_ipv6(value).to_string();
      if (!exact) {
        out += '/';
        const auto length = cidr_length(mask, 16);
        out += length ? std::to_string(*length) : to_ipv6(mask).to_string();
      }
      return;
  }
}

const Shorthand* match_internal::find_shorthand(std::string_view name) noexcept {
  for (const Shorthand& s : kShorthands) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string Match::to_string() const {
  std::string out;
  const Shorthand* shorthand = shorthand_for(exact_uint(Field::eth_type), exact_uint(Field::ip_proto));
  const bool skip_eth_type = shorthand != nullptr;
  const bool skip_ip_proto = shorthand != nullptr && shorthand->ip_proto >= 0;
  if (shorthand != nullptr) out += shorthand->name;
  for (const Entry& e : entries()) {
    if ((e.field == Field::eth_type && skip_eth_type) || (e.field == Field::ip_proto && skip_ip_proto)) continue;
    if (!out.empty()) out += ',';
    append_entry(out, *this, e);
  }
  return out;
}

}  // namespace vtap
