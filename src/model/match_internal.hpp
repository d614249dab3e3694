#pragma once
// Internal: what the pieces of Match share (src/model/match*.cpp, one per concept: the field
// table, the algebra, the printer, the parser, the prerequisites). Values are handled as
// bytes, numbers and addresses; names and values are written as to_string writes them.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "libvtap/model/address.hpp"
#include "libvtap/model/match.hpp"

namespace vtap::match_internal {

// ---------------------------------------------------------------------------------------
// The field table (match_fields.cpp): every field's facts and full mask, in enum order.

extern const std::array<FieldInfo, field_count> kFieldTable;
extern const std::array<FieldBytes, field_count> kFullMasks;

constexpr std::size_t index(Field f) noexcept { return static_cast<std::size_t>(f); }
constexpr std::size_t bytes_of(unsigned bits) noexcept { return (bits + 7U) / 8U; }

inline const FieldBytes& full_mask(Field f) noexcept { return kFullMasks[index(f)]; }

inline std::uint64_t uint_full_mask(Field f) noexcept {
  const unsigned bits = kFieldTable[index(f)].bits;
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

// A name that identifies `f` alone: the printed name, except for the L4 ports that OVS
// prints as tp_src/tp_dst whatever the protocol.
std::string_view unique_name(Field f) noexcept;

// ---------------------------------------------------------------------------------------
// Field bytes as words, numbers and addresses

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

inline std::uint64_t to_uint(const FieldBytes& bytes, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n && i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

inline FieldBytes from_uint(std::uint64_t v, std::size_t n) noexcept {
  FieldBytes bytes{};
  for (std::size_t i = 0; i < n && i < 8; ++i) bytes[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return bytes;
}

// The bytes of a MAC or IPv6 address (or IPv6 mask), rest zero.
template <std::size_t N>
FieldBytes to_field_bytes(const std::array<std::uint8_t, N>& address) noexcept {
  static_assert(N <= FieldBytes().size());
  FieldBytes bytes{};
  std::copy(address.begin(), address.end(), bytes.begin());
  return bytes;
}

inline MacAddress to_mac(const FieldBytes& bytes) noexcept {
  MacAddress::Bytes b{};
  std::copy_n(bytes.begin(), 6, b.begin());
  return MacAddress(b);
}

inline bool is_icmp6_match(const Match& m) noexcept {
  return m.exact_uint(Field::eth_type) == 0x86dd && m.exact_uint(Field::ip_proto) == 58;
}

// ---------------------------------------------------------------------------------------
// Text (match_format.cpp)

std::string hex(std::uint64_t v, int min_digits = 1);

// Appends the text of the value (and mask, unless full) of `f`, without the name.
void append_value(std::string& out, Field f, const FieldBytes& value, const FieldBytes& mask);

// A protocol shorthand such as `tcp6`: dl_type and maybe nw_proto.
struct Shorthand {
  std::string_view name;
  std::uint16_t eth_type;
  int ip_proto;  // -1: the shorthand says nothing about nw_proto
};

const Shorthand* find_shorthand(std::string_view name) noexcept;

}  // namespace vtap::match_internal
