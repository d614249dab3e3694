// Parsing matches from ovs-fields(7) text: the values and masks of every field format, and
// assembling a match from comma-separated items, where `tp_dst` and `icmp_type` take their
// meaning from the protocol the rest of the text fixes.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "libvtap/model/address.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/model/match.hpp"
#include "match_internal.hpp"

namespace vtap {

using namespace match_internal;

namespace {

using Fmt = FieldFormat;

// ---------------------------------------------------------------------------------------
// Text

std::string quoted(std::string_view text) { return '"' + std::string(text) + '"'; }

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

[[noreturn]] void fail(const std::string& message) { throw ParseError(message); }

// "NAME: PROBLEM", the form of every error about one field's text.
[[noreturn]] void fail(std::string_view name, const std::string& problem) {
  fail(std::string(name) + ": " + problem);
}

// ---------------------------------------------------------------------------------------
// Values: `VALUE[/MASK]` of one field, read as `name` (the field's name as written).

// A value and mask parsed from text, before it is attached to a field.
struct ParsedValue {
  FieldBytes value{};
  FieldBytes mask{};
};

ParsedValue exact_number_value(Field f, std::uint64_t v) noexcept {
  return {from_uint(v, field_bytes(f)), full_mask(f)};
}

// A number that fits the field; `in_port=LOCAL` is the local port.
std::uint64_t parse_uint(Field f, std::string_view name, std::string_view text, bool is_mask) {
  if (f == Field::in_port && !is_mask && iequals(text, "LOCAL")) return 0xfffffffe;
  std::uint64_t v = 0;
  const NumberStatus status = parse_number(text, v);
  if (status == NumberStatus::syntax) {
    fail(name, std::string("invalid ") + (is_mask ? "mask " : "value ") + quoted(text) +
                   " (expected a decimal number without leading zeros, or 0x-prefixed hex)");
  }
  if (status == NumberStatus::overflow || (v & ~uint_full_mask(f)) != 0) {
    fail(name, (is_mask ? "mask " : "") + std::string(text) + " does not fit in " +
                   std::to_string(field_info(f).bits) + " bits");
  }
  return v;
}

unsigned parse_prefix_length(std::string_view name, std::string_view text, unsigned max) {
  std::uint64_t v = 0;
  const bool decimal = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!decimal || parse_number(text, v) != NumberStatus::ok || v > max) {
    fail(name, "invalid prefix length " + quoted(text) + " (expected 0.." + std::to_string(max) + ")");
  }
  return static_cast<unsigned>(v);
}

// `dl_vlan=N`: the VID N of a packet that has a VLAN tag.
ParsedValue parse_dl_vlan(std::string_view text) {
  if (text.find('/') != std::string_view::npos) {
    fail("dl_vlan", "field is not maskable (got " + quoted(text) + "; use vlan_vid=VALUE/MASK)");
  }
  std::uint64_t v = 0;
  if (parse_number(text, v) != NumberStatus::ok || v > 4095) {
    fail("dl_vlan", "invalid VLAN ID " + quoted(text) + " (expected 0..4095)");
  }
  return {from_uint(0x1000 | v, 2), from_uint(0x1fff, 2)};
}

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

ParsedValue tcp_flags_value(std::uint64_t value, std::uint64_t mask) noexcept {
  return {from_uint(value, 2), from_uint(mask, 2)};
}

[[noreturn]] void fail_tcp_flags(std::string_view name, std::string_view text) {
  fail(name, "invalid TCP flags " + quoted(text) + " (expected VALUE[/MASK], +flag-flag... or flag|flag...)");
}

// `+syn-ack`: listed flags must be set (+) or clear (-); the rest are wildcarded.
ParsedValue parse_tcp_flag_changes(std::string_view name, std::string_view text) {
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const bool set = text[pos] == '+';
    if (!set && text[pos] != '-') fail_tcp_flags(name, text);
    std::size_t end = pos + 1;
    while (end < text.size() && text[end] != '+' && text[end] != '-') ++end;
    const auto bit = tcp_flag_bit(text.substr(pos + 1, end - pos - 1));
    if (!bit) fail_tcp_flags(name, text);
    if ((mask & *bit) != 0) fail(name, "flag given twice in " + quoted(text));
    mask |= *bit;
    if (set) value |= *bit;
    pos = end;
  }
  return tcp_flags_value(value, mask);
}

// `syn|ack`: exactly these flags and no others.
ParsedValue parse_tcp_flag_list(std::string_view name, std::string_view text) {
  std::uint64_t value = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t bar = text.find('|', pos);
    const auto bit = tcp_flag_bit(text.substr(pos, bar == std::string_view::npos ? bar : bar - pos));
    if (!bit) fail_tcp_flags(name, text);
    value |= *bit;
    if (bar == std::string_view::npos) break;
    pos = bar + 1;
  }
  return tcp_flags_value(value, uint_full_mask(Field::tcp_flags));
}

// `0x12/0x12`: the bits as numbers.
ParsedValue parse_tcp_flag_bits(std::string_view name, std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::uint64_t value = parse_uint(Field::tcp_flags, name, trim(text.substr(0, slash)), false);
  const std::uint64_t mask = slash == std::string_view::npos
                                 ? uint_full_mask(Field::tcp_flags)
                                 : parse_uint(Field::tcp_flags, name, trim(text.substr(slash + 1)), true);
  return tcp_flags_value(value, mask);
}

ParsedValue parse_tcp_flags(std::string_view name, std::string_view text) {
  if (text[0] == '+' || text[0] == '-') return parse_tcp_flag_changes(name, text);
  if (text.find('/') == std::string_view::npos && tcp_flag_bit(text.substr(0, text.find('|')))) {
    return parse_tcp_flag_list(name, text);
  }
  return parse_tcp_flag_bits(name, text);
}

// `VALUE[/MASK]`, each trimmed; no mask means a full one.
struct ValueText {
  std::string_view value;
  std::optional<std::string_view> mask;
};

ValueText split_value_and_mask(const FieldInfo& info, std::string_view name, std::string_view text) {
  const std::size_t slash = text.find('/');
  const ValueText out{trim(text.substr(0, slash)), slash == std::string_view::npos
                                                       ? std::nullopt
                                                       : std::optional(trim(text.substr(slash + 1)))};
  if (out.mask && !info.maskable) fail(name, "field is not maskable (got " + quoted(text) + ")");
  if (out.value.empty()) fail(name, "missing value in " + quoted(text));
  if (out.mask && out.mask->empty()) fail(name, "missing mask in " + quoted(text));
  return out;
}

ParsedValue parse_number_value(Field f, std::string_view name, const ValueText& text) {
  const std::size_t n = field_bytes(f);
  ParsedValue out;
  out.value = from_uint(parse_uint(f, name, text.value, false), n);
  out.mask = text.mask ? from_uint(parse_uint(f, name, *text.mask, true), n) : full_mask(f);
  return out;
}

ParsedValue parse_mac_value(Field f, std::string_view name, const ValueText& text) {
  const auto mac = MacAddress::try_parse(text.value);
  if (!mac) fail(name, "invalid MAC address " + quoted(text.value));
  ParsedValue out{to_field_bytes(mac->bytes()), full_mask(f)};
  if (text.mask) {
    const auto m = MacAddress::try_parse(*text.mask);
    if (!m) fail(name, "invalid MAC mask " + quoted(*text.mask));
    out.mask = to_field_bytes(m->bytes());
  }
  return out;
}

// An IPv4 mask is a prefix length or dotted quad.
ParsedValue parse_ipv4_value(Field f, std::string_view name, const ValueText& text) {
  const auto addr = Ipv4Address::try_parse(text.value);
  if (!addr) fail(name, "invalid IPv4 address " + quoted(text.value));
  ParsedValue out{from_uint(addr->value(), 4), full_mask(f)};
  if (!text.mask) return out;
  if (text.mask->find('.') == std::string_view::npos) {
    const unsigned length = parse_prefix_length(name, *text.mask, 32);
    out.mask = from_uint(Ipv4Prefix(Ipv4Address(), length).mask(), 4);
  } else {
    const auto m = Ipv4Address::try_parse(*text.mask);
    if (!m) fail(name, "invalid IPv4 mask " + quoted(*text.mask));
    out.mask = from_uint(m->value(), 4);
  }
  return out;
}

// An IPv6 mask is a prefix length or an address.
ParsedValue parse_ipv6_value(Field f, std::string_view name, const ValueText& text) {
  const auto addr = Ipv6Address::try_parse(text.value);
  if (!addr) fail(name, "invalid IPv6 address " + quoted(text.value));
  ParsedValue out{to_field_bytes(addr->bytes()), full_mask(f)};
  if (!text.mask) return out;
  if (text.mask->find(':') == std::string_view::npos) {
    const unsigned length = parse_prefix_length(name, *text.mask, 128);
    out.mask = to_field_bytes(Ipv6Prefix(Ipv6Address(), length).mask());
  } else {
    const auto m = Ipv6Address::try_parse(*text.mask);
    if (!m) fail(name, "invalid IPv6 mask " + quoted(*text.mask));
    out.mask = to_field_bytes(m->bytes());
  }
  return out;
}

ParsedValue parse_value(Field f, std::string_view name, std::string_view text) {
  const FieldInfo& info = field_info(f);
  if (info.format == Fmt::tcp_flags) return parse_tcp_flags(name, text);
  const ValueText parts = split_value_and_mask(info, name, text);
  switch (info.format) {
    case Fmt::decimal:
    case Fmt::hexadecimal:
    case Fmt::vlan:
    case Fmt::tcp_flags: return parse_number_value(f, name, parts);
    case Fmt::ethernet: return parse_mac_value(f, name, parts);
    case Fmt::ipv4: return parse_ipv4_value(f, name, parts);
    case Fmt::ipv6: return parse_ipv6_value(f, name, parts);
  }
  fail(name, "unsupported field format");
}

// ---------------------------------------------------------------------------------------
// Names whose field is known only once the whole text is read: `tp_dst` is tcp_dst, udp_dst
// or sctp_dst by nw_proto, and `icmp_type` is icmpv6_type in an ICMPv6 match.

enum class Deferred : std::uint8_t { tp_src, tp_dst, icmp_type, icmp_code };
constexpr std::array<std::string_view, 4> kDeferredNames = {"tp_src", "tp_dst", "icmp_type", "icmp_code"};

std::optional<Deferred> deferred_by_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kDeferredNames.size(); ++i) {
    if (kDeferredNames[i] == name) return static_cast<Deferred>(i);
  }
  return std::nullopt;
}

bool is_port(Deferred d) noexcept { return d == Deferred::tp_src || d == Deferred::tp_dst; }

// The field a deferred value is read as before its field is known: ports are 16 bits and
// ICMP types and codes 8 whatever the protocol, so TCP's and ICMPv4's layouts serve for all.
Field layout_of(Deferred d) noexcept { return is_port(d) ? Field::tcp_src : Field::icmpv4_type; }

// ---------------------------------------------------------------------------------------
// The match: comma-separated items, then the deferred names, then the prerequisites.

class Parser {
 public:
  Match run(std::string_view text) {
    while (true) {
      const std::size_t comma = text.find(',');
      add_item(trim(text.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
    }
    resolve_deferred();
    match_.check_prerequisites();
    return std::move(match_);
  }

 private:
  void add_item(std::string_view item) {
    if (item.empty()) return;  // OVS tolerates empty items ("tcp,,tp_dst=80" or "tcp,").
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      add_word(item);
    } else {
      add_assignment(item, trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
    }
  }

  // `*`, or a protocol shorthand such as `tcp6`.
  void add_word(std::string_view word) {
    if (word == "*") return;
    if (const Shorthand* s = find_shorthand(word)) {
      add(Field::eth_type, exact_number_value(Field::eth_type, s->eth_type), "dl_type");
      if (s->ip_proto >= 0) {
        add(Field::ip_proto, exact_number_value(Field::ip_proto, static_cast<std::uint64_t>(s->ip_proto)), "nw_proto");
      }
      return;
    }
    if (field_by_name(word) || deferred_by_name(word)) {
      fail(word, "missing value (expected " + std::string(word) + "=VALUE)");
    }
    fail("unknown match field or protocol " + quoted(word));
  }

  // `name=value[/mask]`; `name=*` leaves the field a wildcard.
  void add_assignment(std::string_view item, std::string_view name, std::string_view text) {
    if (name.empty()) fail("missing field name before '=' in " + quoted(item));
    const auto deferred = deferred_by_name(name);
    const auto field = deferred ? std::optional<Field>{} : field_by_name(name);
    if (!deferred && !field) fail("unknown match field " + quoted(name));
    if (text.empty()) fail(name, "missing value");
    if (text == "*") return;  // Explicit wildcard: the field stays absent.
    if (deferred) {
      defer(*deferred, name, parse_value(layout_of(*deferred), name, text));
    } else if (*field == Field::vlan_vid && name == "dl_vlan") {
      add(Field::vlan_vid, parse_dl_vlan(text), name);
    } else {
      add(*field, parse_value(*field, name, text), name);
    }
  }

  // Adds value/mask to field `f`.
  void add(Field f, ParsedValue v, std::string_view spelled) {
    std::optional<ParsedValue> before;
    if (const auto old = match_.find(f)) before = ParsedValue{old->value, old->mask};
    if (adds_to(before, f, spelled, v)) match_.set(f, v.value, v.mask);
  }

  void defer(Deferred d, std::string_view spelled, ParsedValue v) {
    std::optional<ParsedValue>& slot = deferred_[static_cast<std::size_t>(d)];
    if (adds_to(slot, layout_of(d), spelled, v)) slot = v;
  }

  // Canonicalises `v` and says whether it adds to `before`, what was given for the same field
  // earlier: a zero mask is a wildcard, which adds nothing; a field given twice must agree.
  bool adds_to(const std::optional<ParsedValue>& before, Field f, std::string_view spelled, ParsedValue& v) const {
    for (std::size_t i = 0; i < v.value.size(); ++i) v.value[i] &= v.mask[i];
    if (is_zero(v.mask)) return false;
    if (!before) return true;
    if (before->value != v.value || before->mask != v.mask) {
      std::string a;
      std::string b;
      append_value(a, f, before->value, before->mask);
      append_value(b, f, v.value, v.mask);
      fail("conflicting values for " + std::string(spelled) + ": " + quoted(a) + " and " + quoted(b));
    }
    return false;
  }

  void resolve_deferred() {
    for (std::size_t i = 0; i < deferred_.size(); ++i) {
      if (deferred_[i]) add(resolved_field(static_cast<Deferred>(i)), *deferred_[i], kDeferredNames[i]);
    }
  }

  Field resolved_field(Deferred d) const {
    if (!is_port(d)) {
      // Like OVS, icmp_type/icmp_code mean the ICMPv6 fields in an ICMPv6 match.
      const bool v6 = is_icmp6_match(match_);
      if (d == Deferred::icmp_type) return v6 ? Field::icmpv6_type : Field::icmpv4_type;
      return v6 ? Field::icmpv6_code : Field::icmpv4_code;
    }
    const bool src = d == Deferred::tp_src;
    const auto ip_proto = match_.exact_uint(Field::ip_proto);
    if (ip_proto == 6) return src ? Field::tcp_src : Field::tcp_dst;
    if (ip_proto == 17) return src ? Field::udp_src : Field::udp_dst;
    if (ip_proto == 132) return src ? Field::sctp_src : Field::sctp_dst;
    const std::string name(kDeferredNames[static_cast<std::size_t>(d)]);
    fail(name + " requires nw_proto tcp, udp or sctp (e.g. tcp," + name + "=80)");
  }

  Match match_;
  std::array<std::optional<ParsedValue>, 4> deferred_{};
};

}  // namespace

Match Match::parse(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty() || t == "*") return Match();
  return Parser().run(t);
}

}  // namespace vtap
