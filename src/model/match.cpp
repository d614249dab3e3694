// Match as a set of packets: building it field by field (canonical values, sorted
// entries), and the algebra the translator relies on: intersection, subset, overlap, the
// reversed match and the hash.

#include "libvtap/model/match.hpp"

#include <algorithm>
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
  if (field_info(f).format != FieldFormat::ethernet) return std::nullopt;
  const Entry* e = find(f);
  if (e == nullptr || e->mask != full_mask(f)) return std::nullopt;
  return to_mac(e->value);
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
