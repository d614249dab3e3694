// Address value types: parsing, RFC 5952 printing, prefixes and hashing.

#include "libvtap/model/address.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view text) { return '"' + std::string(text) + '"'; }

// Parses a decimal number of at most `max_digits` digits, without sign or leading zero
// (a leading zero is ambiguous: inet_aton and strtoul read it as octal).
std::optional<unsigned> parse_small_decimal(std::string_view s, std::size_t max_digits) noexcept {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10U + static_cast<unsigned>(c - '0');
  }
  return v;
}

std::optional<MacAddress> parse_mac(std::string_view text) noexcept {
  if (text.size() != 17) return std::nullopt;
  MacAddress::Bytes bytes{};
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t at = i * 3;
    if (i > 0 && text[at - 1] != ':') return std::nullopt;
    const int hi = hex_value(text[at]);
    const int lo = hex_value(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return MacAddress(bytes);
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) noexcept {
  std::uint32_t value = 0;
  std::size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    std::size_t end = pos;
    while (end < text.size() && is_digit(text[end])) ++end;
    const auto part = parse_small_decimal(text.substr(pos, end - pos), 3);
    if (!part || *part > 255) return std::nullopt;
    value = (value << 8) | *part;
    pos = end;
  }
  if (pos != text.size()) return std::nullopt;
  return value;
}

// Parses one side of an IPv6 address (the text before or after "::") into 16-bit groups.
// `allow_ipv4_tail` permits a dotted quad as the last element (it counts as two groups).
bool parse_ipv6_groups(std::string_view text, bool allow_ipv4_tail, std::array<std::uint16_t, 8>& groups,
                       std::size_t& count) noexcept {
  count = 0;
  if (text.empty()) return true;
  std::size_t pos = 0;
  while (true) {
    const std::size_t colon = text.find(':', pos);
    const std::string_view part =
        text.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
    const bool last = colon == std::string_view::npos;
    if (last && allow_ipv4_tail && part.find('.') != std::string_view::npos) {
      const auto v4 = parse_ipv4(part);
      if (!v4 || count + 2 > 8) return false;
      groups[count++] = static_cast<std::uint16_t>(*v4 >> 16);
      groups[count++] = static_cast<std::uint16_t>(*v4 & 0xffffU);
      return true;
    }
    if (part.empty() || part.size() > 4 || count >= 8) return false;
    unsigned g = 0;
    for (char c : part) {
      const int h = hex_value(c);
      if (h < 0) return false;
      g = g * 16U + static_cast<unsigned>(h);
    }
    groups[count++] = static_cast<std::uint16_t>(g);
    if (last) return true;
    pos = colon + 1;
  }
}

std::optional<Ipv6Address::Bytes> parse_ipv6(std::string_view text) noexcept {
  std::array<std::uint16_t, 8> head{};
  std::array<std::uint16_t, 8> tail{};
  std::size_t head_count = 0;
  std::size_t tail_count = 0;
  std::array<std::uint16_t, 8> groups{};
  const std::size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_ipv6_groups(text, true, head, head_count) || head_count != 8) return std::nullopt;
    groups = head;
  } else {
    const std::string_view before = text.substr(0, gap);
    const std::string_view after = text.substr(gap + 2);
    if (after.find("::") != std::string_view::npos) return std::nullopt;
    if (!parse_ipv6_groups(before, false, head, head_count)) return std::nullopt;
    if (!parse_ipv6_groups(after, true, tail, tail_count)) return std::nullopt;
    // "::" stands for at least one group of zeros (RFC 4291 section 2.2).
    if (head_count + tail_count > 7) return std::nullopt;
    std::copy_n(head.begin(), head_count, groups.begin());
    std::copy_n(tail.begin(), tail_count, groups.begin() + static_cast<std::ptrdiff_t>(8 - tail_count));
  }
  Ipv6Address::Bytes bytes{};
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xffU);
  }
  return bytes;
}

std::string format_ipv4(std::uint32_t v) {
  char buf[16];
  const int n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", (v >> 24) & 0xffU, (v >> 16) & 0xffU,
                              (v >> 8) & 0xffU, v & 0xffU);
  return std::string(buf, static_cast<std::size_t>(n));
}

void append_hex_group(std::string& out, unsigned g) {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (g >> shift) & 0xfU;
    if (nibble != 0 || started || shift == 0) {
      out += kHexDigits[nibble];
      started = true;
    }
  }
}

std::size_t fnv1a(const std::uint8_t* data, std::size_t size, std::uint64_t seed = 0xcbf29ce484222325ULL) noexcept {
  std::uint64_t h = seed;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return static_cast<std::size_t>(h);
}

Ipv6Address::Bytes ipv6_mask_bytes(unsigned length) noexcept {
  Ipv6Address::Bytes mask{};
  for (std::size_t i = 0; i < 16; ++i) {
    const unsigned start = static_cast<unsigned>(i) * 8U;
    if (length >= start + 8) {
      mask[i] = 0xff;
    } else if (length > start) {
      mask[i] = static_cast<std::uint8_t>(0xffU << (8U - (length - start)));
    }
  }
  return mask;
}

// Splits "address/length"; a missing "/length" yields `full_length`.
std::optional<std::pair<std::string_view, unsigned>> split_prefix(std::string_view text,
                                                                  unsigned full_length) noexcept {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::pair{text, full_length};
  const auto length = parse_small_decimal(text.substr(slash + 1), 3);
  if (!length || *length > full_length) return std::nullopt;
  return std::pair{text.substr(0, slash), *length};
}

}  // namespace

// ---------------------------------------------------------------------------------------
// MacAddress

MacAddress MacAddress::parse(std::string_view text) {
  if (auto mac = parse_mac(text)) return *mac;
  throw ParseError("invalid MAC address " + quoted(text) + " (expected xx:xx:xx:xx:xx:xx)");
}

std::optional<MacAddress> MacAddress::try_parse(std::string_view text) noexcept { return parse_mac(text); }

std::string MacAddress::to_string() const {
  std::string out(17, ':');
  for (std::size_t i = 0; i < 6; ++i) {
    out[i * 3] = kHexDigits[bytes_[i] >> 4];
    out[i * 3 + 1] = kHexDigits[bytes_[i] & 0xfU];
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Ipv4Address

Ipv4Address Ipv4Address::parse(std::string_view text) {
  if (auto v = parse_ipv4(text)) return Ipv4Address(*v);
  throw ParseError("invalid IPv4 address " + quoted(text));
}

std::optional<Ipv4Address> Ipv4Address::try_parse(std::string_view text) noexcept {
  if (auto v = parse_ipv4(text)) return Ipv4Address(*v);
  return std::nullopt;
}

std::string Ipv4Address::to_string() const { return format_ipv4(value_); }

std::array<std::uint8_t, 4> Ipv4Address::bytes() const noexcept {
  return {static_cast<std::uint8_t>(value_ >> 24), static_cast<std::uint8_t>(value_ >> 16),
          static_cast<std::uint8_t>(value_ >> 8), static_cast<std::uint8_t>(value_)};
}

// ---------------------------------------------------------------------------------------
// Ipv6Address

Ipv6Address Ipv6Address::parse(std::string_view text) {
  if (auto b = parse_ipv6(text)) return Ipv6Address(*b);
  throw ParseError("invalid IPv6 address " + quoted(text));
}

std::optional<Ipv6Address> Ipv6Address::try_parse(std::string_view text) noexcept {
  if (auto b = parse_ipv6(text)) return Ipv6Address(*b);
  return std::nullopt;
}

std::string Ipv6Address::to_string() const {
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i) groups[i] = (unsigned{bytes_[2 * i]} << 8) | bytes_[2 * i + 1];

  // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the
  // leftmost one on a tie.
  std::size_t best_start = 8;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = 8;

  // RFC 5952 section 5: IPv4-mapped addresses keep their dotted-quad tail.
  const bool v4_mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 &&
                         groups[4] == 0 && groups[5] == 0xffff;
  const std::size_t hex_groups = v4_mapped ? 6 : 8;

  std::string out;
  out.reserve(41);
  for (std::size_t i = 0; i < hex_groups;) {
    if (i == best_start) {
      out += "::";
      i += best_len;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    append_hex_group(out, groups[i]);
    ++i;
  }
  if (v4_mapped) {
    if (out.back() != ':') out += ':';
    out += format_ipv4((std::uint32_t{groups[6]} << 16) | groups[7]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// IpAddress

IpAddress IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return Ipv6Address::parse(text);
  return Ipv4Address::parse(text);
}

std::string IpAddress::to_string() const { return is_v4() ? v4().to_string() : v6().to_string(); }

// ---------------------------------------------------------------------------------------
// Ipv4Prefix

Ipv4Prefix::Ipv4Prefix(Ipv4Address address, unsigned length) : length_(length) {
  if (length > 32) {
    throw ParseError("invalid IPv4 prefix length " + std::to_string(length) + " (must be 0..32)");
  }
  address_ = Ipv4Address(address.value() & mask());
}

Ipv4Prefix Ipv4Prefix::parse(std::string_view text) {
  const auto parts = split_prefix(text, 32);
  if (parts) {
    if (auto v = parse_ipv4(parts->first)) return Ipv4Prefix(Ipv4Address(*v), parts->second);
  }
  throw ParseError("invalid IPv4 prefix " + quoted(text) + " (expected a.b.c.d/0..32)");
}

std::string Ipv4Prefix::to_string() const { return address_.to_string() + '/' + std::to_string(length_); }

std::uint32_t Ipv4Prefix::mask() const noexcept {
  return length_ == 0 ? 0U : ~std::uint32_t{0} << (32U - length_);
}

bool Ipv4Prefix::contains(Ipv4Address a) const noexcept { return (a.value() & mask()) == address_.value(); }

// ---------------------------------------------------------------------------------------
// Ipv6Prefix

Ipv6Prefix::Ipv6Prefix(Ipv6Address address, unsigned length) : length_(length) {
  if (length > 128) {
    throw ParseError("invalid IPv6 prefix length " + std::to_string(length) + " (must be 0..128)");
  }
  const auto m = mask();
  Ipv6Address::Bytes b = address.bytes();
  for (std::size_t i = 0; i < 16; ++i) b[i] &= m[i];
  address_ = Ipv6Address(b);
}

Ipv6Prefix Ipv6Prefix::parse(std::string_view text) {
  const auto parts = split_prefix(text, 128);
  if (parts) {
    if (auto b = parse_ipv6(parts->first)) return Ipv6Prefix(Ipv6Address(*b), parts->second);
  }
  throw ParseError("invalid IPv6 prefix " + quoted(text) + " (expected an IPv6 address/0..128)");
}

std::string Ipv6Prefix::to_string() const { return address_.to_string() + '/' + std::to_string(length_); }

Ipv6Address::Bytes Ipv6Prefix::mask() const noexcept { return ipv6_mask_bytes(length_); }

bool Ipv6Prefix::contains(const Ipv6Address& a) const noexcept {
  const auto m = mask();
  for (std::size_t i = 0; i < 16; ++i) {
    if ((a.bytes()[i] & m[i]) != address_.bytes()[i]) return false;
  }
  return true;
}

}  // namespace vtap

std::size_t std::hash<vtap::MacAddress>::operator()(const vtap::MacAddress& m) const noexcept {
  // The six bytes as one number, multiplied and folded: MACs are hashed on the
  // translator's hot path, and one multiply spreads them as well as a byte loop.
  std::uint64_t v = 0;
  std::memcpy(&v, m.bytes().data(), m.bytes().size());
  v *= 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>(v ^ (v >> 29));
}

std::size_t std::hash<vtap::Ipv6Address>::operator()(const vtap::Ipv6Address& a) const noexcept {
  return vtap::fnv1a(a.bytes().data(), a.bytes().size());
}

std::size_t std::hash<vtap::IpAddress>::operator()(const vtap::IpAddress& a) const noexcept {
  if (a.is_v4()) return std::hash<vtap::Ipv4Address>{}(a.v4());
  // Seed differently so ::a.b.c.d and a.b.c.d do not collide systematically.
  return vtap::fnv1a(a.v6().bytes().data(), a.v6().bytes().size(), 0x84222325cbf29ce4ULL);
}
