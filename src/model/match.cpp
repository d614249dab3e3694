// Match as a set of packets: building it field by field (canonical values, sorted
// entries), and the algebra the translator relies on: intersection, subset, overlap, the
// reversed match and the hash.

#include "libvtap/model/match.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "libvtap/model/error.hpp"
#include "match_internal.hpp"

namespace vtap {

using namespace match_internal;

namespace {

constexpr std::uint64_t bit(Field f) noexcept { return std::uint64_t{1} << index(f); }

// Bytes one entry takes in a Match: its value, and its mask unless the mask is full.
inline std::size_t packed_size(Field f, bool exact) noexcept { return field_bytes(f) * (exact ? 1 : 2); }

inline Words load_bytes(const std::uint8_t* at, std::size_t n) noexcept {
  FieldBytes bytes{};
  std::memcpy(bytes.data(), at, n);
  return load(bytes);
}

// Walks the packed entries of a match in field order.
struct Cursor {
  std::uint64_t rest;  // fields not yet passed, the current one included
  std::uint64_t exact;
  const std::uint8_t* at;

  Field field() const noexcept { return static_cast<Field>(std::countr_zero(rest)); }
  bool is_exact() const noexcept { return (exact & bit(field())) != 0; }
  void next() noexcept {
    at += packed_size(field(), is_exact());
    rest &= rest - 1;
  }
  // Moves to `f`, which the match has, at or after the current field.
  void skip_to(Field f) noexcept {
    while (field() != f) next();
  }
  Words value() const noexcept { return load_bytes(at, field_bytes(field())); }
  Words mask() const noexcept {
    return is_exact() ? load(full_mask(field())) : load_bytes(at + field_bytes(field()), field_bytes(field()));
  }
  Match::Entry entry() const noexcept {
    const Field f = field();
    const std::size_t n = field_bytes(f);
    Match::Entry e{f, {}, {}};
    std::memcpy(e.value.data(), at, n);
    if (is_exact()) e.mask = full_mask(f);
    else std::memcpy(e.mask.data(), at + n, n);
    return e;
  }
};

// True when the packets `x` and `y` match have at least one packet in common on this field.
inline bool entries_compatible(const Cursor& x, const Cursor& y) noexcept {
  const Words xv = x.value(), xm = x.mask(), yv = y.value(), ym = y.mask();
  return (((xv.a ^ yv.a) & xm.a & ym.a) | ((xv.b ^ yv.b) & xm.b & ym.b)) == 0;
}

// True when every packet `x` matches on this field is matched by `y`.
inline bool entry_within(const Cursor& x, const Cursor& y) noexcept {
  const Words xv = x.value(), xm = x.mask(), yv = y.value(), ym = y.mask();
  return ((xm.a & ym.a) == ym.a) && ((xm.b & ym.b) == ym.b) && ((xv.a & ym.a) == yv.a) &&
         ((xv.b & ym.b) == yv.b);
}

bool fits(Field f, const FieldBytes& bytes) noexcept {
  const Words w = load(bytes), m = load(full_mask(f));
  return ((w.a & ~m.a) | (w.b & ~m.b)) == 0;
}

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

Match& Match::set(Field f, const FieldBytes& value, const FieldBytes& mask) {
  if (index(f) >= field_count) throw Error("Match::set: invalid field");
  if (!fits(f, value)) misuse(f, "value has bits outside the field's " + std::to_string(field_info(f).bits) + " bits");
  if (!fits(f, mask)) misuse(f, "mask has bits outside the field's " + std::to_string(field_info(f).bits) + " bits");
  if (is_zero(mask)) {
    erase(f);
    return *this;
  }
  const bool exact = mask == full_mask(f);
  if (!field_info(f).maskable && !exact) misuse(f, "field is exact-only and the mask is not full");
  erase(f);
  place(offset_of(f), f, value, mask);
  return *this;
}

void Match::place(std::size_t at, Field f, const FieldBytes& value, const FieldBytes& mask) {
  const bool exact = mask == full_mask(f);
  const std::size_t n = field_bytes(f);
  std::array<std::uint8_t, 32> packed{};
  for (std::size_t i = 0; i < n; ++i) {
    packed[i] = value[i] & mask[i];
    packed[n + i] = mask[i];
  }
  splice(at, 0, packed.data(), packed_size(f, exact));
  fields_ |= bit(f);
  if (exact) exact_ |= bit(f);
}

std::size_t Match::offset_of(Field f) const noexcept {
  std::size_t at = 0;
  for (std::uint64_t before = fields_ & (bit(f) - 1); before != 0; before &= before - 1) {
    const auto g = static_cast<Field>(std::countr_zero(before));
    at += packed_size(g, (exact_ & bit(g)) != 0);
  }
  return at;
}

void Match::splice(std::size_t at, std::size_t remove, const std::uint8_t* add, std::size_t n) {
  const std::size_t size = size_ - remove + n;
  if (spilled_.empty() && size <= inline_.size()) {
    std::memmove(inline_.data() + at + n, inline_.data() + at + remove, size_ - at - remove);
    if (n != 0) std::memcpy(inline_.data() + at, add, n);
  } else {
    std::vector<std::uint8_t> bytes(data(), data() + size_);
    bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(at + remove));
    bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), add, add + n);
    spilled_.clear();
    if (size <= inline_.size()) std::memcpy(inline_.data(), bytes.data(), size);
    else spilled_ = std::move(bytes);
  }
  size_ = static_cast<std::uint16_t>(size);
}

void Match::append(const Entry& e) { place(size_, e.field, e.value, e.mask); }

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
  require_format(f, FieldFormat::ethernet, "a MAC address");
  return set(f, to_field_bytes(mac.bytes()), full_mask(f));
}

Match& Match::set(Field f, const Ipv4Address& addr) {
  require_format(f, FieldFormat::ipv4, "an IPv4 address");
  return set(f, from_uint(addr.value(), 4), full_mask(f));
}

Match& Match::set(Field f, const Ipv4Prefix& prefix) {
  require_format(f, FieldFormat::ipv4, "an IPv4 prefix");
  return set(f, from_uint(prefix.address().value(), 4), from_uint(prefix.mask(), 4));
}

Match& Match::set(Field f, const Ipv6Address& addr) {
  require_format(f, FieldFormat::ipv6, "an IPv6 address");
  return set(f, to_field_bytes(addr.bytes()), full_mask(f));
}

Match& Match::set(Field f, const Ipv6Prefix& prefix) {
  require_format(f, FieldFormat::ipv6, "an IPv6 prefix");
  return set(f, to_field_bytes(prefix.address().bytes()), to_field_bytes(prefix.mask()));
}

Match& Match::erase(Field f) noexcept {
  if ((fields_ & bit(f)) == 0) return *this;
  splice(offset_of(f), packed_size(f, (exact_ & bit(f)) != 0), nullptr, 0);
  fields_ &= ~bit(f);
  exact_ &= ~bit(f);
  return *this;
}

std::optional<Match::Entry> Match::find(Field f) const noexcept {
  if ((fields_ & bit(f)) == 0) return std::nullopt;
  const std::size_t at = offset_of(f);
  return *Entries::iterator(this, fields_ & ~(bit(f) - 1), data() + at);
}

bool Match::is_exact(Field f) const noexcept { return (fields_ & exact_ & bit(f)) != 0; }

std::optional<std::uint64_t> Match::exact_uint(Field f) const noexcept {
  if (field_info(f).bits > 64 || !is_exact(f)) return std::nullopt;
  std::uint64_t v = 0;
  const std::uint8_t* at = data() + offset_of(f);
  for (std::size_t i = 0; i < field_bytes(f); ++i) v = (v << 8) | at[i];
  return v;
}

std::optional<MacAddress> Match::exact_mac(Field f) const noexcept {
  if (field_info(f).format != FieldFormat::ethernet || !is_exact(f)) return std::nullopt;
  MacAddress::Bytes b{};
  std::memcpy(b.data(), data() + offset_of(f), b.size());
  return MacAddress(b);
}

std::optional<Match> Match::intersect(const Match& other) const {
  // Most pairs the translator tries are disjoint: find out before building anything.
  if (!overlaps(other)) return std::nullopt;
  std::optional<Match> out(std::in_place);
  Cursor a{fields_, exact_, data()}, b{other.fields_, other.exact_, other.data()};
  while (a.rest != 0 || b.rest != 0) {
    if (b.rest == 0 || (a.rest != 0 && a.field() < b.field())) {
      out->append(a.entry());
      a.next();
    } else if (a.rest == 0 || b.field() < a.field()) {
      out->append(b.entry());
      b.next();
    } else {
      Entry e = a.entry();
      const Entry y = b.entry();
      for (std::size_t i = 0; i < e.value.size(); ++i) {
        e.value[i] = static_cast<std::uint8_t>(e.value[i] | y.value[i]);
        e.mask[i] = static_cast<std::uint8_t>(e.mask[i] | y.mask[i]);
      }
      out->append(e);
      a.next();
      b.next();
    }
  }
  return out;
}

bool Match::is_subset_of(const Match& other) const noexcept {
  if ((other.fields_ & ~fields_) != 0) return false;
  Cursor a{fields_, exact_, data()};
  for (Cursor b{other.fields_, other.exact_, other.data()}; b.rest != 0; b.next()) {
    a.skip_to(b.field());
    if (!entry_within(a, b)) return false;
  }
  return true;
}

bool Match::overlaps(const Match& other) const noexcept {
  Cursor a{fields_, exact_, data()}, b{other.fields_, other.exact_, other.data()};
  for (std::uint64_t common = fields_ & other.fields_; common != 0; common &= common - 1) {
    const auto f = static_cast<Field>(std::countr_zero(common));
    a.skip_to(f);
    b.skip_to(f);
    if (!entries_compatible(a, b)) return false;
  }
  return true;
}

std::strong_ordering Match::operator<=>(const Match& other) const noexcept {
  // As Entry sequences compare: field, then value, then mask. An Entry's bytes past the
  // field's width are zero, so comparing the field's own bytes decides the same way.
  Cursor a{fields_, exact_, data()}, b{other.fields_, other.exact_, other.data()};
  for (; a.rest != 0 && b.rest != 0; a.next(), b.next()) {
    const Field f = a.field();
    if (f != b.field()) return f <=> b.field();
    const std::size_t n = field_bytes(f);
    if (const int order = std::memcmp(a.at, b.at, n); order != 0) return order <=> 0;
    const std::uint8_t* a_mask = a.is_exact() ? full_mask(f).data() : a.at + n;
    const std::uint8_t* b_mask = b.is_exact() ? full_mask(f).data() : b.at + n;
    if (const int order = std::memcmp(a_mask, b_mask, n); order != 0) return order <=> 0;
  }
  if (a.rest == 0) return b.rest == 0 ? std::strong_ordering::equal : std::strong_ordering::less;
  return std::strong_ordering::greater;
}

Match::Entry Match::Entries::iterator::operator*() const noexcept { return Cursor{rest_, m_->exact_, at_}.entry(); }

Match::Entries::iterator& Match::Entries::iterator::operator++() noexcept {
  Cursor c{rest_, m_->exact_, at_};
  c.next();
  rest_ = c.rest;
  at_ = c.at;
  return *this;
}

std::size_t Match::Entries::size() const noexcept { return static_cast<std::size_t>(std::popcount(m_->fields_)); }

Match reversed(const Match& m) {
  Match out;
  for (const Match::Entry& e : m.entries()) out.set(counterpart(e.field), e.value, e.mask);
  return out;
}

}  // namespace vtap

std::size_t std::hash<vtap::Match>::operator()(const vtap::Match& m) const noexcept {
  // Word-at-a-time multiply-xorshift over the fields present, the exact ones and the bytes.
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  const auto mix = [&h](std::uint64_t word) {
    h ^= word + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  };
  mix(m.fields_);
  mix(m.exact_);
  const std::uint8_t* at = m.data();
  for (std::size_t left = m.size_; left != 0;) {
    std::uint64_t word = 0;
    const std::size_t n = left < 8 ? left : 8;
    std::memcpy(&word, at, n);
    mix(word);
    at += n;
    left -= n;
  }
  return static_cast<std::size_t>(h);
}
