// OpenFlow matches: the field table, the ovs-fields(7) parser and printer, and the set
// algebra (intersection, subset, overlap) the translator relies on.

#include "libvtap/model/match.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

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
}};

constexpr bool table_is_in_enum_order() {
  for (std::size_t i = 0; i < field_count; ++i) {
    if (static_cast<std::size_t>(kFieldTable[i].field) != i) return false;
  }
  return true;
}
static_assert(table_is_in_enum_order(), "kFieldTable must list fields in enum order");

constexpr std::size_t index(Field f) noexcept { return static_cast<std::size_t>(f); }
constexpr std::size_t bytes_of(unsigned bits) noexcept { return (bits + 7U) / 8U; }

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
constexpr std::array<FieldBytes, field_count> kFullMasks = make_full_masks();

const FieldBytes& full_mask(Field f) noexcept { return kFullMasks[index(f)]; }

// Values and masks are compared and combined as two 64-bit words; byte order does not
// matter for bitwise operations and equality.
struct Words {
  std::uint64_t a;
  std::uint64_t b;
};

inline Words load(const FieldBytes& bytes) noexcept {
  Words w;
  std::memcpy(&w, bytes.data(), sizeof w);
  return w;
}

inline bool is_zero(const FieldBytes& bytes) noexcept {
  const Words w = load(bytes);
  return (w.a | w.b) == 0;
}

// True when the packets `x` and `y` match have at least one packet in common on this field.
inline bool entries_compatible(const Match::Entry& x, const Match::Entry& y) noexcept {
  const Words xv = load(x.value), xm = load(x.mask), yv = load(y.value), ym = load(y.mask);
  return (((xv.a ^ yv.a) & xm.a & ym.a) | ((xv.b ^ yv.b) & xm.b & ym.b)) == 0;
}

// True when every packet `x` matches on this field is matched by `y`.
inline bool entry_within(const Match::Entry& x, const Match::Entry& y) noexcept {
  const Words xv = load(x.value), xm = load(x.mask), yv = load(y.value), ym = load(y.mask);
  return ((xm.a & ym.a) == ym.a) && ((xm.b & ym.b) == ym.b) && ((xv.a & ym.a) == yv.a) &&
         ((xv.b & ym.b) == yv.b);
}

std::uint64_t to_uint(const FieldBytes& bytes, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n && i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

FieldBytes from_uint(std::uint64_t v, std::size_t n) noexcept {
  FieldBytes bytes{};
  for (std::size_t i = 0; i < n && i < 8; ++i) bytes[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return bytes;
}

bool fits(Field f, const FieldBytes& bytes) noexcept {
  const Words w = load(bytes), m = load(full_mask(f));
  return ((w.a & ~m.a) | (w.b & ~m.b)) == 0;
}

std::uint64_t uint_full_mask(Field f) noexcept {
  const unsigned bits = kFieldTable[index(f)].bits;
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

std::string quoted(std::string_view text) { return '"' + std::string(text) + '"'; }

std::string hex(std::uint64_t v, int min_digits = 1) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "0x%0*llx", min_digits, static_cast<unsigned long long>(v));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view ws = " \t\r\n\f\v";
  const std::size_t first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  const std::size_t last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

enum class NumberStatus { ok, syntax, overflow };

// Decimal (no sign, no leading zero: OVS would read it as octal) or 0x-prefixed hex.
NumberStatus parse_number(std::string_view s, std::uint64_t& out) noexcept {
  out = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (char c : s.substr(2)) {
      const int d = hex_digit(c);
      if (d < 0) return NumberStatus::syntax;
      if (out >> 60 != 0) return NumberStatus::overflow;
      out = (out << 4) | static_cast<std::uint64_t>(d);
    }
    return NumberStatus::ok;
  }
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return NumberStatus::syntax;
  for (char c : s) {
    if (c < '0' || c > '9') return NumberStatus::syntax;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (out > (~std::uint64_t{0} - d) / 10) return NumberStatus::overflow;
    out = out * 10 + d;
  }
  return NumberStatus::ok;
}

// ---------------------------------------------------------------------------------------
// Printing

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

MacAddress to_mac(const FieldBytes& bytes) noexcept {
  MacAddress::Bytes b{};
  std::copy_n(bytes.begin(), 6, b.begin());
  return MacAddress(b);
}

bool is_vlan_present_exact(const Match::Entry& e) noexcept {
  const std::uint64_t v = to_uint(e.value, 2);
  return to_uint(e.mask, 2) == 0x1fff && (v & 0x1000) != 0;
}

// Appends the text of the value (and mask, unless full) of `f`, without the name.
void append_value(std::string& out, Field f, const FieldBytes& value, const FieldBytes& mask) {
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

// A name that identifies `f` alone: the printed name, except for the L4 ports that OVS
// prints as tp_src/tp_dst whatever the protocol.
std::string_view unique_name(Field f) noexcept {
  const FieldInfo& info = kFieldTable[index(f)];
  return info.name == "tp_src" || info.name == "tp_dst" ? info.alias : info.name;
}

std::optional<std::uint64_t> exact_number(const Match& m, Field f) noexcept { return m.exact_uint(f); }

bool is_icmp6_match(const Match& m) noexcept {
  return exact_number(m, Field::eth_type) == 0x86dd && exact_number(m, Field::ip_proto) == 58;
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
      return exact_number(m, Field::ip_proto) == l4_protocol_of(e.field) ? info.name : info.alias;
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

// ---------------------------------------------------------------------------------------
// Protocol shorthands

struct Shorthand {
  std::string_view name;
  std::uint16_t eth_type;
  int ip_proto;  // -1: the shorthand says nothing about nw_proto
};

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

const Shorthand* find_shorthand(std::string_view name) noexcept {
  for (const Shorthand& s : kShorthands) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Prerequisites

// Returns the error for `e` when its prerequisite is missing in `m`, or nothing.
std::optional<std::string> prerequisite_error(const Match& m, const Match::Entry& e) {
  const auto eth_type = exact_number(m, Field::eth_type);
  const auto ip_proto = exact_number(m, Field::ip_proto);
  const auto needs = [&](std::string_view what, std::string_view example) {
    std::string msg(unique_name(e.field));
    msg += " requires ";
    msg += what;
    msg += " (e.g. ";
    msg += example;
    msg += ')';
    if (what.starts_with("dl_type") && eth_type) {
      char have[64];
      std::snprintf(have, sizeof have, ", but this match has dl_type=0x%04llx", static_cast<unsigned long long>(*eth_type));
      msg += have;
      msg += ": one OpenFlow match cannot hold both";
    }
    return std::optional<std::string>(std::move(msg));
  };
  switch (e.field) {
    case Field::vlan_pcp: {
      const Match::Entry* vid = m.find(Field::vlan_vid);
      const bool tagged = vid != nullptr && (to_uint(vid->value, 2) & 0x1000) != 0;
      if (!tagged) return needs("a VLAN tag: vlan_vid with the 0x1000 present bit", "dl_vlan=10,dl_vlan_pcp=3");
      return std::nullopt;
    }
    case Field::mpls_label:
    case Field::mpls_tc:
    case Field::mpls_bos:
      if (eth_type != 0x8847 && eth_type != 0x8848) return needs("dl_type=0x8847 or 0x8848", "mpls,mpls_label=16");
      return std::nullopt;
    case Field::ipv4_src:
    case Field::ipv4_dst:
      if (eth_type != 0x0800) return needs("dl_type=0x0800", "ip,nw_src=10.0.0.1");
      return std::nullopt;
    case Field::ipv6_src:
    case Field::ipv6_dst:
    case Field::ipv6_label:
      if (eth_type != 0x86dd) return needs("dl_type=0x86dd", "ipv6,ipv6_src=2001:db8::1");
      return std::nullopt;
    case Field::ip_proto:
    case Field::ip_dscp:
    case Field::ip_ecn:
      if (eth_type != 0x0800 && eth_type != 0x86dd) return needs("dl_type=0x0800 or 0x86dd", "ip,nw_proto=6");
      return std::nullopt;
    case Field::arp_op:
    case Field::arp_spa:
    case Field::arp_tpa:
    case Field::arp_sha:
    case Field::arp_tha:
      if (eth_type != 0x0806) return needs("dl_type=0x0806", "arp,arp_op=1");
      return std::nullopt;
    case Field::tcp_src:
    case Field::tcp_dst:
      if (ip_proto != 6) return needs("nw_proto=6", "tcp,tp_dst=80");
      return std::nullopt;
    case Field::tcp_flags:
      if (ip_proto != 6) return needs("nw_proto=6", "tcp,tcp_flags=+syn");
      return std::nullopt;
    case Field::udp_src:
    case Field::udp_dst:
      if (ip_proto != 17) return needs("nw_proto=17", "udp,tp_dst=53");
      return std::nullopt;
    case Field::sctp_src:
    case Field::sctp_dst:
      if (ip_proto != 132) return needs("nw_proto=132", "sctp,tp_dst=9899");
      return std::nullopt;
    case Field::icmpv4_type:
    case Field::icmpv4_code:
      if (eth_type != 0x0800 || ip_proto != 1) return needs("dl_type=0x0800 and nw_proto=1", "icmp,icmp_type=8");
      return std::nullopt;
    case Field::icmpv6_type:
    case Field::icmpv6_code:
      if (eth_type != 0x86dd || ip_proto != 58) {
        return needs("dl_type=0x86dd and nw_proto=58", "icmp6,icmpv6_type=135");
      }
      return std::nullopt;
    case Field::nd_target: {
      const auto type = exact_number(m, Field::icmpv6_type);
      if (type != 135 && type != 136) return needs("icmpv6_type=135 or 136", "icmp6,icmpv6_type=135,nd_target=fe80::1");
      return std::nullopt;
    }
    case Field::nd_sll:
      if (exact_number(m, Field::icmpv6_type) != 135) {
        return needs("icmpv6_type=135", "icmp6,icmpv6_type=135,nd_sll=fa:16:3e:00:00:01");
      }
      return std::nullopt;
    case Field::nd_tll:
      if (exact_number(m, Field::icmpv6_type) != 136) {
        return needs("icmpv6_type=136", "icmp6,icmpv6_type=136,nd_tll=fa:16:3e:00:00:01");
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// ---------------------------------------------------------------------------------------
// Parsing

struct TcpFlagName {
  std::string_view name;
  std::uint16_t bit;
};
constexpr std::array<TcpFlagName, 12> kTcpFlags = {{{"fin", 0x001},
                                                    {"syn", 0x002},
                                                    {"rst", 0x004},
                                                    {"psh", 0x008},
                                                    {"ack", 0x010},
                                                    {"urg", 0x020},
                                                    {"ece", 0x040},
                                                    {"cwr", 0x080},
                                                    {"ns", 0x100},
                                                    {"[200]", 0x200},
                                                    {"[400]", 0x400},
                                                    {"[800]", 0x800}}};

std::optional<std::uint16_t> tcp_flag_bit(std::string_view name) noexcept {
  for (const TcpFlagName& f : kTcpFlags) {
    if (f.name == name) return f.bit;
  }
  return std::nullopt;
}

// A value and mask parsed from text, before it is attached to a field.
struct ParsedValue {
  FieldBytes value{};
  FieldBytes mask{};
};

// Context-dependent names whose field is known only once the whole text is read.
enum class Deferred : std::uint8_t { tp_src, tp_dst, icmp_type, icmp_code };
constexpr std::array<std::string_view, 4> kDeferredNames = {"tp_src", "tp_dst", "icmp_type", "icmp_code"};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Match run() {
    std::string_view rest = text_;
    while (true) {
      const std::size_t comma = rest.find(',');
      handle_token(trim(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    resolve_deferred();
    match_.check_prerequisites();
    return std::move(match_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw ParseError(message); }

  void handle_token(std::string_view token) {
    if (token.empty()) return;  // OVS tolerates empty items ("tcp,,tp_dst=80" or "tcp,").
    const std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      if (token == "*") return;
      if (const Shorthand* s = find_shorthand(token)) {
        add(Field::eth_type, number_value(Field::eth_type, s->eth_type), "dl_type");
        if (s->ip_proto >= 0) {
          add(Field::ip_proto, number_value(Field::ip_proto, static_cast<std::uint64_t>(s->ip_proto)), "nw_proto");
        }
        return;
      }
      if (field_by_name(token) || deferred_by_name(token)) {
        fail(std::string(token) + ": missing value (expected " + std::string(token) + "=VALUE)");
      }
      fail("unknown match field or protocol " + quoted(token));
    }
    const std::string_view name = trim(token.substr(0, eq));
    const std::string_view text = trim(token.substr(eq + 1));
    if (name.empty()) fail("missing field name before '=' in " + quoted(token));
    const auto deferred = deferred_by_name(name);
    const auto field = deferred ? std::optional<Field>{} : field_by_name(name);
    if (!deferred && !field) fail("unknown match field " + quoted(name));
    if (text.empty()) fail(std::string(name) + ": missing value");
    if (text == "*") return;  // Explicit wildcard: the field stays absent.

    if (deferred) {
      // All four deferred fields are 16-bit ports or 8-bit ICMP numbers; parse with the
      // TCP/ICMPv4 layout (identical to UDP/SCTP and ICMPv6) and place the field later.
      const bool port = *deferred == Deferred::tp_src || *deferred == Deferred::tp_dst;
      const Field layout = port ? Field::tcp_src : Field::icmpv4_type;
      const ParsedValue v = parse_value(layout, name, text);
      merge_deferred(*deferred, name, v);
      return;
    }
    if (*field == Field::vlan_vid && name == "dl_vlan") {
      add(Field::vlan_vid, parse_dl_vlan(text), name);
      return;
    }
    add(*field, parse_value(*field, name, text), name);
  }

  static std::optional<Deferred> deferred_by_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kDeferredNames.size(); ++i) {
      if (kDeferredNames[i] == name) return static_cast<Deferred>(i);
    }
    return std::nullopt;
  }

  static ParsedValue number_value(Field f, std::uint64_t v) noexcept {
    const std::size_t n = field_bytes(f);
    return {from_uint(v, n), full_mask(f)};
  }

  // Adds value/mask to field `f`; the same field given twice must agree.
  void add(Field f, ParsedValue v, std::string_view spelled) {
    canonicalise(f, v);
    if (is_zero(v.mask)) return;  // A zero mask is a wildcard: nothing to add.
    if (const Match::Entry* old = match_.find(f)) {
      if (old->value != v.value || old->mask != v.mask) conflict(spelled, f, *old, v);
      return;
    }
    match_.set(f, v.value, v.mask);
  }

  static void canonicalise(Field, ParsedValue& v) noexcept {
    for (std::size_t i = 0; i < v.value.size(); ++i) v.value[i] &= v.mask[i];
  }

  [[noreturn]] void conflict(std::string_view spelled, Field f, const Match::Entry& old, const ParsedValue& v) const {
    std::string a;
    std::string b;
    append_value(a, f, old.value, old.mask);
    append_value(b, f, v.value, v.mask);
    fail("conflicting values for " + std::string(spelled) + ": " + quoted(a) + " and " + quoted(b));
  }

  void merge_deferred(Deferred d, std::string_view spelled, ParsedValue v) {
    const auto i = static_cast<std::size_t>(d);
    const Field layout = (d == Deferred::tp_src || d == Deferred::tp_dst) ? Field::tcp_src : Field::icmpv4_type;
    canonicalise(layout, v);
    if (is_zero(v.mask)) return;
    if (deferred_[i]) {
      if (deferred_[i]->value != v.value || deferred_[i]->mask != v.mask) {
        conflict(spelled, layout, Match::Entry{layout, deferred_[i]->value, deferred_[i]->mask}, v);
      }
      return;
    }
    deferred_[i] = v;
  }

  void resolve_deferred() {
    const auto ip_proto = match_.exact_uint(Field::ip_proto);
    for (std::size_t i = 0; i < deferred_.size(); ++i) {
      if (!deferred_[i]) continue;
      const auto d = static_cast<Deferred>(i);
      const std::string_view name = kDeferredNames[i];
      Field f{};
      if (d == Deferred::tp_src || d == Deferred::tp_dst) {
        const bool src = d == Deferred::tp_src;
        if (ip_proto == 6) {
          f = src ? Field::tcp_src : Field::tcp_dst;
        } else if (ip_proto == 17) {
          f = src ? Field::udp_src : Field::udp_dst;
        } else if (ip_proto == 132) {
          f = src ? Field::sctp_src : Field::sctp_dst;
        } else {
          fail(std::string(name) + " requires nw_proto tcp, udp or sctp (e.g. tcp," + std::string(name) + "=80)");
        }
      } else {
        // Like OVS, icmp_type/icmp_code mean the ICMPv6 fields in an ICMPv6 match.
        const bool v6 = is_icmp6_match(match_);
        if (d == Deferred::icmp_type) {
          f = v6 ? Field::icmpv6_type : Field::icmpv4_type;
        } else {
          f = v6 ? Field::icmpv6_code : Field::icmpv4_code;
        }
      }
      add(f, *deferred_[i], name);
    }
  }

  ParsedValue parse_dl_vlan(std::string_view text) const {
    if (text.find('/') != std::string_view::npos) {
      fail("dl_vlan: field is not maskable (got " + quoted(text) + "; use vlan_vid=VALUE/MASK)");
    }
    std::uint64_t v = 0;
    if (parse_number(text, v) != NumberStatus::ok || v > 4095) {
      fail("dl_vlan: invalid VLAN ID " + quoted(text) + " (expected 0..4095)");
    }
    return {from_uint(0x1000 | v, 2), from_uint(0x1fff, 2)};
  }

  std::uint64_t parse_uint(Field f, std::string_view name, std::string_view text, bool is_mask) const {
    const FieldInfo& info = kFieldTable[index(f)];
    if (f == Field::in_port && !is_mask && iequals(text, "LOCAL")) return 0xfffffffe;
    std::uint64_t v = 0;
    const NumberStatus status = parse_number(text, v);
    const std::string what = is_mask ? "mask " : "";
    if (status == NumberStatus::syntax) {
      fail(std::string(name) + ": invalid " + (is_mask ? "mask " : "value ") + quoted(text) +
           " (expected a decimal number without leading zeros, or 0x-prefixed hex)");
    }
    if (status == NumberStatus::overflow || (v & ~uint_full_mask(f)) != 0) {
      fail(std::string(name) + ": " + what + std::string(text) + " does not fit in " + std::to_string(info.bits) +
           " bits");
    }
    return v;
  }

  ParsedValue parse_tcp_flags(std::string_view name, std::string_view text) const {
    ParsedValue out;
    std::uint64_t value = 0;
    std::uint64_t mask = 0;
    const auto bad = [&] {
      fail(std::string(name) + ": invalid TCP flags " + quoted(text) +
           " (expected VALUE[/MASK], +flag-flag... or flag|flag...)");
    };
    if (text[0] == '+' || text[0] == '-') {
      // `+syn-ack`: listed flags must be set (+) or clear (-); the rest are wildcarded.
      std::size_t pos = 0;
      while (pos < text.size()) {
        const bool set = text[pos] == '+';
        if (!set && text[pos] != '-') bad();
        std::size_t end = pos + 1;
        while (end < text.size() && text[end] != '+' && text[end] != '-') ++end;
        const auto bit = tcp_flag_bit(text.substr(pos + 1, end - pos - 1));
        if (!bit) bad();
        if ((mask & *bit) != 0) fail(std::string(name) + ": flag given twice in " + quoted(text));
        mask |= *bit;
        if (set) value |= *bit;
        pos = end;
      }
    } else if (text.find('/') == std::string_view::npos && tcp_flag_bit(text.substr(0, text.find('|')))) {
      // `syn|ack`: exactly these flags and no others.
      std::size_t pos = 0;
      while (true) {
        const std::size_t bar = text.find('|', pos);
        const auto bit = tcp_flag_bit(text.substr(pos, bar == std::string_view::npos ? bar : bar - pos));
        if (!bit) bad();
        value |= *bit;
        if (bar == std::string_view::npos) break;
        pos = bar + 1;
      }
      mask = uint_full_mask(Field::tcp_flags);
    } else {
      const std::size_t slash = text.find('/');
      value = parse_uint(Field::tcp_flags, name, trim(text.substr(0, slash)), false);
      mask = slash == std::string_view::npos ? uint_full_mask(Field::tcp_flags)
                                             : parse_uint(Field::tcp_flags, name, trim(text.substr(slash + 1)), true);
    }
    out.value = from_uint(value, 2);
    out.mask = from_uint(mask, 2);
    return out;
  }

  ParsedValue parse_value(Field f, std::string_view name, std::string_view text) const {
    const FieldInfo& info = kFieldTable[index(f)];
    if (info.format == Fmt::tcp_flags) return parse_tcp_flags(name, text);

    const std::size_t slash = text.find('/');
    const std::string_view value_text = trim(text.substr(0, slash));
    const std::optional<std::string_view> mask_text =
        slash == std::string_view::npos ? std::nullopt : std::optional(trim(text.substr(slash + 1)));
    if (mask_text && !info.maskable) {
      fail(std::string(name) + ": field is not maskable (got " + quoted(text) + ")");
    }
    if (value_text.empty()) fail(std::string(name) + ": missing value in " + quoted(text));
    if (mask_text && mask_text->empty()) fail(std::string(name) + ": missing mask in " + quoted(text));

    ParsedValue out;
    const std::size_t n = bytes_of(info.bits);
    switch (info.format) {
      case Fmt::decimal:
      case Fmt::hexadecimal:
      case Fmt::vlan:
      case Fmt::tcp_flags: {
        out.value = from_uint(parse_uint(f, name, value_text, false), n);
        out.mask = mask_text ? from_uint(parse_uint(f, name, *mask_text, true), n) : full_mask(f);
        return out;
      }
      case Fmt::ethernet: {
        const auto mac = MacAddress::try_parse(value_text);
        if (!mac) fail(std::string(name) + ": invalid MAC address " + quoted(value_text));
        std::copy(mac->bytes().begin(), mac->bytes().end(), out.value.begin());
        if (mask_text) {
          const auto m = MacAddress::try_parse(*mask_text);
          if (!m) fail(std::string(name) + ": invalid MAC mask " + quoted(*mask_text));
          std::copy(m->bytes().begin(), m->bytes().end(), out.mask.begin());
        } else {
          out.mask = full_mask(f);
        }
        return out;
      }
      case Fmt::ipv4: {
        const auto addr = Ipv4Address::try_parse(value_text);
        if (!addr) fail(std::string(name) + ": invalid IPv4 address " + quoted(value_text));
        out.value = from_uint(addr->value(), 4);
        if (!mask_text) {
          out.mask = full_mask(f);
        } else if (mask_text->find('.') == std::string_view::npos) {
          const unsigned length = prefix_length(name, *mask_text, 32);
          out.mask = from_uint(Ipv4Prefix(Ipv4Address(), length).mask(), 4);
        } else {
          const auto m = Ipv4Address::try_parse(*mask_text);
          if (!m) fail(std::string(name) + ": invalid IPv4 mask " + quoted(*mask_text));
          out.mask = from_uint(m->value(), 4);
        }
        return out;
      }
      case Fmt::ipv6: {
        const auto addr = Ipv6Address::try_parse(value_text);
        if (!addr) fail(std::string(name) + ": invalid IPv6 address " + quoted(value_text));
        std::copy(addr->bytes().begin(), addr->bytes().end(), out.value.begin());
        if (!mask_text) {
          out.mask = full_mask(f);
        } else if (mask_text->find(':') == std::string_view::npos) {
          const unsigned length = prefix_length(name, *mask_text, 128);
          const auto m = Ipv6Prefix(Ipv6Address(), length).mask();
          std::copy(m.begin(), m.end(), out.mask.begin());
        } else {
          const auto m = Ipv6Address::try_parse(*mask_text);
          if (!m) fail(std::string(name) + ": invalid IPv6 mask " + quoted(*mask_text));
          std::copy(m->bytes().begin(), m->bytes().end(), out.mask.begin());
        }
        return out;
      }
    }
    fail(std::string(name) + ": unsupported field format");
  }

  unsigned prefix_length(std::string_view name, std::string_view text, unsigned max) const {
    std::uint64_t v = 0;
    const bool decimal = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!decimal || parse_number(text, v) != NumberStatus::ok || v > max) {
      fail(std::string(name) + ": invalid prefix length " + quoted(text) + " (expected 0.." + std::to_string(max) +
           ")");
    }
    return static_cast<unsigned>(v);
  }

  std::string_view text_;
  Match match_;
  std::array<std::optional<ParsedValue>, 4> deferred_{};
};

// Source and destination counterparts swapped by reversed().
constexpr Field counterpart(Field f) noexcept {
  switch (f) {
    case Field::eth_src: return Field::eth_dst;
    case Field::eth_dst: return Field::eth_src;
    case Field::ipv4_src: return Field::ipv4_dst;
    case Field::ipv4_dst: return Field::ipv4_src;
    case Field::ipv6_src: return Field::ipv6_dst;
    case Field::ipv6_dst: return Field::ipv6_src;
    case Field::arp_spa: return Field::arp_tpa;
    case Field::arp_tpa: return Field::arp_spa;
    case Field::arp_sha: return Field::arp_tha;
    case Field::arp_tha: return Field::arp_sha;
    case Field::tcp_src: return Field::tcp_dst;
    case Field::tcp_dst: return Field::tcp_src;
    case Field::udp_src: return Field::udp_dst;
    case Field::udp_dst: return Field::udp_src;
    case Field::sctp_src: return Field::sctp_dst;
    case Field::sctp_dst: return Field::sctp_src;
    default: return f;
  }
}

[[noreturn]] void misuse(Field f, std::string_view what) {
  throw Error("Match::set(" + std::string(unique_name(f)) + "): " + std::string(what));
}

void require_format(Field f, FieldFormat format, std::string_view what) {
  if (kFieldTable[index(f)].format != format) misuse(f, "field does not take " + std::string(what));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Field table

const FieldInfo& field_info(Field f) noexcept { return kFieldTable[index(f)]; }

std::optional<Field> field_by_name(std::string_view name) noexcept {
  if (name.empty() || name == "tp_src" || name == "tp_dst") return std::nullopt;
  for (const FieldInfo& info : kFieldTable) {
    if (info.name == name || info.alias == name) return info.field;
  }
  return std::nullopt;
}

std::size_t field_bytes(Field f) noexcept { return bytes_of(kFieldTable[index(f)].bits); }

// ---------------------------------------------------------------------------------------
// Match

Match Match::parse(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty() || t == "*") return Match();
  return Parser(t).run();
}

std::string Match::to_string() const {
  std::string out;
  const auto eth_type = exact_uint(Field::eth_type);
  const auto ip_proto = exact_uint(Field::ip_proto);
  bool skip_eth_type = false;
  bool skip_ip_proto = false;
  if (eth_type) {
    for (const Shorthand& s : kShorthands) {
      if (s.eth_type != *eth_type) continue;
      if (s.ip_proto >= 0 && ip_proto != static_cast<std::uint64_t>(s.ip_proto)) continue;
      out += s.name;
      skip_eth_type = true;
      skip_ip_proto = s.ip_proto >= 0;
      break;
    }
  }
  for (const Entry& e : entries_) {
    if ((e.field == Field::eth_type && skip_eth_type) || (e.field == Field::ip_proto && skip_ip_proto)) continue;
    if (!out.empty()) out += ',';
    append_entry(out, *this, e);
  }
  return out;
}

Match& Match::set(Field f, const FieldBytes& value, const FieldBytes& mask) {
  if (index(f) >= field_count) throw Error("Match::set: invalid field");
  if (!fits(f, value)) misuse(f, "value has bits outside the field's " + std::to_string(field_info(f).bits) + " bits");
  if (!fits(f, mask)) misuse(f, "mask has bits outside the field's " + std::to_string(field_info(f).bits) + " bits");
  if (is_zero(mask)) {
    erase(f);
    return *this;
  }
  if (!field_info(f).maskable && mask != full_mask(f)) misuse(f, "field is exact-only and the mask is not full");
  Entry entry{f, value, mask};
  for (std::size_t i = 0; i < entry.value.size(); ++i) entry.value[i] &= entry.mask[i];
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), f,
                                   [](const Entry& e, Field key) { return e.field < key; });
  if (it != entries_.end() && it->field == f) {
    *it = entry;
  } else {
    entries_.insert(it, entry);
  }
  return *this;
}

Match& Match::set(Field f, std::uint64_t value) {
  if (field_info(f).bits > 64) misuse(f, "field is not a number");
  return set(f, value, uint_full_mask(f));
}

Match& Match::set(Field f, std::uint64_t value, std::uint64_t mask) {
  if (field_info(f).bits > 64) misuse(f, "field is not a number");
  const std::uint64_t full = uint_full_mask(f);
  const auto width = [f] { return " does not fit in " + std::to_string(field_info(f).bits) + " bits"; };
  if ((value & ~full) != 0) misuse(f, std::to_string(value) + width());
  if ((mask & ~full) != 0) misuse(f, "mask " + hex(mask) + width());
  const std::size_t n = field_bytes(f);
  return set(f, from_uint(value, n), from_uint(mask, n));
}

Match& Match::set(Field f, const MacAddress& mac) {
  require_format(f, Fmt::ethernet, "a MAC address");
  FieldBytes value{};
  std::copy(mac.bytes().begin(), mac.bytes().end(), value.begin());
  return set(f, value, full_mask(f));
}

Match& Match::set(Field f, const Ipv4Address& addr) {
  require_format(f, Fmt::ipv4, "an IPv4 address");
  return set(f, from_uint(addr.value(), 4), full_mask(f));
}

Match& Match::set(Field f, const Ipv4Prefix& prefix) {
  require_format(f, Fmt::ipv4, "an IPv4 prefix");
  return set(f, from_uint(prefix.address().value(), 4), from_uint(prefix.mask(), 4));
}

Match& Match::set(Field f, const Ipv6Address& addr) {
  require_format(f, Fmt::ipv6, "an IPv6 address");
  FieldBytes value{};
  std::copy(addr.bytes().begin(), addr.bytes().end(), value.begin());
  return set(f, value, full_mask(f));
}

Match& Match::set(Field f, const Ipv6Prefix& prefix) {
  require_format(f, Fmt::ipv6, "an IPv6 prefix");
  FieldBytes value{};
  FieldBytes mask{};
  const Ipv6Address::Bytes address = prefix.address().bytes();
  const Ipv6Address::Bytes m = prefix.mask();
  std::copy(address.begin(), address.end(), value.begin());
  std::copy(m.begin(), m.end(), mask.begin());
  return set(f, value, mask);
}

Match& Match::erase(Field f) noexcept {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), f,
                                   [](const Entry& e, Field key) { return e.field < key; });
  if (it != entries_.end() && it->field == f) entries_.erase(it);
  return *this;
}

const Match::Entry* Match::find(Field f) const noexcept {
  for (const Entry& e : entries_) {
    if (e.field == f) return &e;
    if (e.field > f) break;
  }
  return nullptr;
}

bool Match::is_exact(Field f) const noexcept {
  const Entry* e = find(f);
  return e != nullptr && e->mask == full_mask(f);
}

std::optional<std::uint64_t> Match::exact_uint(Field f) const noexcept {
  if (field_info(f).bits > 64) return std::nullopt;
  const Entry* e = find(f);
  if (e == nullptr || e->mask != full_mask(f)) return std::nullopt;
  return to_uint(e->value, field_bytes(f));
}

std::optional<MacAddress> Match::exact_mac(Field f) const noexcept {
  if (field_info(f).format != Fmt::ethernet) return std::nullopt;
  const Entry* e = find(f);
  if (e == nullptr || e->mask != full_mask(f)) return std::nullopt;
  return to_mac(e->value);
}

void Match::check_prerequisites() const {
  for (const Entry& e : entries_) {
    if (auto error = prerequisite_error(*this, e)) throw ParseError(*error);
  }
}

std::optional<Match> Match::intersect(const Match& other) const {
  // Most pairs the translator tries are disjoint: find out before allocating.
  if (!overlaps(other)) return std::nullopt;
  Match out;
  out.entries_.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  const auto a_end = entries_.end();
  const auto b_end = other.entries_.end();
  while (a != a_end || b != b_end) {
    if (b == b_end || (a != a_end && a->field < b->field)) {
      out.entries_.push_back(*a++);
    } else if (a == a_end || b->field < a->field) {
      out.entries_.push_back(*b++);
    } else {
      Entry e{a->field, {}, {}};
      for (std::size_t i = 0; i < e.value.size(); ++i) {
        e.value[i] = static_cast<std::uint8_t>(a->value[i] | b->value[i]);
        e.mask[i] = static_cast<std::uint8_t>(a->mask[i] | b->mask[i]);
      }
      out.entries_.push_back(e);
      ++a;
      ++b;
    }
  }
  return out;
}

bool Match::is_subset_of(const Match& other) const noexcept {
  auto a = entries_.begin();
  const auto a_end = entries_.end();
  for (const Entry& e : other.entries_) {
    while (a != a_end && a->field < e.field) ++a;
    if (a == a_end || a->field != e.field || !entry_within(*a, e)) return false;
  }
  return true;
}

bool Match::overlaps(const Match& other) const noexcept {
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  const auto a_end = entries_.end();
  const auto b_end = other.entries_.end();
  while (a != a_end && b != b_end) {
    if (a->field < b->field) {
      ++a;
    } else if (b->field < a->field) {
      ++b;
    } else {
      if (!entries_compatible(*a, *b)) return false;
      ++a;
      ++b;
    }
  }
  return true;
}

Match reversed(const Match& m) {
  Match out;
  for (const Match::Entry& e : m.entries()) out.set(counterpart(e.field), e.value, e.mask);
  return out;
}

}  // namespace vtap

std::size_t std::hash<vtap::Match>::operator()(const vtap::Match& m) const noexcept {
  // Word-at-a-time multiply-xorshift over each entry's field, value and mask.
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ m.entries().size();
  const auto mix = [&h](std::uint64_t word) {
    h ^= word + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  };
  for (const vtap::Match::Entry& e : m.entries()) {
    std::uint64_t words[4];
    std::memcpy(words, e.value.data(), 16);
    std::memcpy(words + 2, e.mask.data(), 16);
    mix(static_cast<std::uint64_t>(e.field));
    mix(words[0]);
    mix(words[2]);
    if (vtap::field_bytes(e.field) > 8) {
      mix(words[1]);
      mix(words[3]);
    }
  }
  return static_cast<std::size_t>(h);
}
