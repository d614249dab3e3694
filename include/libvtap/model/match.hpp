#pragma once
/// @file
/// OpenFlow matches over OXM fields, in the `ovs-fields(7)` text syntax.
///
/// A Match is a set of (field, value, mask) entries; an absent field is a wildcard (`*`).
/// Values are canonical: bits outside the mask are zero, an all-zero mask removes the
/// field, and entries are kept sorted by field, so equal matches compare and print equal.
/// Prerequisites (`tp_dst` needs `nw_proto` needs `dl_type`) are checked, never added.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libvtap/model/address.hpp"

namespace vtap {

/// The match fields libvtap understands, in the order they print. Names follow
/// `ovs-fields(7)`; the OXM basic class of OpenFlow 1.5 plus the tunnel fields of OVS.
enum class Field : std::uint8_t {
  in_port,      ///< OXM_OF_IN_PORT, 32 bits, exact only.
  tun_id,       ///< OXM_OF_TUNNEL_ID, 64 bits, maskable.
  tun_dst,      ///< NXM_NX_TUN_IPV4_DST, IPv4, maskable (set_field target for tunnels).
  metadata,     ///< OXM_OF_METADATA, 64 bits, maskable.
  eth_src,      ///< OXM_OF_ETH_SRC (dl_src), maskable.
  eth_dst,      ///< OXM_OF_ETH_DST (dl_dst), maskable.
  eth_type,     ///< OXM_OF_ETH_TYPE (dl_type), exact only.
  vlan_vid,     ///< OXM_OF_VLAN_VID: 12-bit VID plus 0x1000 (OFPVID_PRESENT), maskable.
  vlan_pcp,     ///< OXM_OF_VLAN_PCP, 3 bits; needs a VLAN tag.
  mpls_label,   ///< OXM_OF_MPLS_LABEL, 20 bits; needs dl_type 0x8847 or 0x8848.
  mpls_tc,      ///< OXM_OF_MPLS_TC, 3 bits.
  mpls_bos,     ///< OXM_OF_MPLS_BOS, 1 bit.
  ipv4_src,     ///< OXM_OF_IPV4_SRC (nw_src), maskable; needs dl_type 0x0800.
  ipv4_dst,     ///< OXM_OF_IPV4_DST (nw_dst), maskable.
  ipv6_src,     ///< OXM_OF_IPV6_SRC, maskable; needs dl_type 0x86dd.
  ipv6_dst,     ///< OXM_OF_IPV6_DST, maskable.
  ipv6_label,   ///< OXM_OF_IPV6_FLABEL, 20 bits, maskable.
  ip_proto,     ///< OXM_OF_IP_PROTO (nw_proto); needs IPv4 or IPv6.
  ip_dscp,      ///< OXM_OF_IP_DSCP, 6 bits.
  ip_ecn,       ///< OXM_OF_IP_ECN (nw_ecn), 2 bits.
  arp_op,       ///< OXM_OF_ARP_OP; needs dl_type 0x0806.
  arp_spa,      ///< OXM_OF_ARP_SPA, maskable.
  arp_tpa,      ///< OXM_OF_ARP_TPA, maskable.
  arp_sha,      ///< OXM_OF_ARP_SHA, maskable.
  arp_tha,      ///< OXM_OF_ARP_THA, maskable.
  tcp_src,      ///< OXM_OF_TCP_SRC, maskable; needs nw_proto 6.
  tcp_dst,      ///< OXM_OF_TCP_DST, maskable.
  tcp_flags,    ///< OXM_OF_TCP_FLAGS (OpenFlow 1.5), 12 bits, maskable.
  udp_src,      ///< OXM_OF_UDP_SRC, maskable; needs nw_proto 17.
  udp_dst,      ///< OXM_OF_UDP_DST, maskable.
  sctp_src,     ///< OXM_OF_SCTP_SRC, maskable; needs nw_proto 132.
  sctp_dst,     ///< OXM_OF_SCTP_DST, maskable.
  icmpv4_type,  ///< OXM_OF_ICMPV4_TYPE (icmp_type); needs nw_proto 1 over IPv4.
  icmpv4_code,  ///< OXM_OF_ICMPV4_CODE (icmp_code).
  icmpv6_type,  ///< OXM_OF_ICMPV6_TYPE; needs nw_proto 58 over IPv6.
  icmpv6_code,  ///< OXM_OF_ICMPV6_CODE.
  nd_target,    ///< OXM_OF_IPV6_ND_TARGET; needs icmpv6_type 135 or 136.
  nd_sll,       ///< OXM_OF_IPV6_ND_SLL; needs icmpv6_type 135.
  nd_tll,       ///< OXM_OF_IPV6_ND_TLL; needs icmpv6_type 136.
  tun_erspan_idx,  ///< NXOXM_ET_ERSPAN_IDX, 20 bits: the ERSPAN v1 index of an `erspan` port's copies.
  tun_erspan_ver,  ///< NXOXM_ET_ERSPAN_VER, 4 bits: the ERSPAN version (1 or 2).
};
inline constexpr std::size_t field_count = static_cast<std::size_t>(Field::tun_erspan_ver) + 1;

/// How a field's value is written in text.
enum class FieldFormat : std::uint8_t { decimal, hexadecimal, ethernet, ipv4, ipv6, vlan, tcp_flags };

/// Static facts about one field.
struct FieldInfo {
  Field field;
  std::string_view name;   ///< Name printed by to_string (OVS's preferred, e.g. `dl_src`).
  std::string_view alias;  ///< Other accepted name (e.g. `eth_src`), may be empty.
  unsigned bits;           ///< Width in bits; the value occupies ceil(bits/8) bytes.
  bool maskable;           ///< Whether arbitrary bitwise masks are allowed.
  FieldFormat format;
};

/// Facts about `f`.
const FieldInfo& field_info(Field f) noexcept;
/// Looks a field up by name or alias; `tp_src`/`tp_dst` are resolved by Match::parse.
std::optional<Field> field_by_name(std::string_view name) noexcept;
/// Number of bytes a value of `f` occupies.
std::size_t field_bytes(Field f) noexcept;

/// A field value or mask: big-endian, in the first field_bytes(f) bytes, rest zero.
using FieldBytes = std::array<std::uint8_t, 16>;

/// A set of OpenFlow match fields. Default-constructed, it matches every packet.
class Match {
 public:
  /// One field constraint: packet bits under `mask` must equal `value`.
  struct Entry {
    Field field;
    FieldBytes value;
    FieldBytes mask;
    auto operator<=>(const Entry&) const = default;
  };

  Match() = default;

  /// Parses `ovs-fields(7)` text such as `tcp,nw_src=10.0.0.0/8,tp_dst=80`: comma-separated
  /// `name=value[/mask]` pairs and the protocol shorthands `ip ipv6 icmp icmp6 tcp tcp6 udp
  /// udp6 sctp sctp6 arp mpls mplsm`; `*` or the empty string match everything; a field may
  /// be given as `name=*` to say "any". Throws ParseError naming the field and what is wrong
  /// (unknown field, bad value, mask on an exact-only field, value outside the field's
  /// width, a field given twice with different values, or a missing prerequisite).
  static Match parse(std::string_view text);

  /// Canonical `ovs-ofctl` text; "" for the match-everything Match.
  std::string to_string() const;

  /// Sets `f` to `value`/`mask` (canonicalised; an all-zero mask removes the field).
  /// Throws Error when a bit is set outside the field's width, or a mask is not full for
  /// an exact-only field.
  Match& set(Field f, const FieldBytes& value, const FieldBytes& mask);
  /// Sets `f` exactly to the unsigned number `value` (fields up to 64 bits).
  Match& set(Field f, std::uint64_t value);
  Match& set(Field f, std::uint64_t value, std::uint64_t mask);
  Match& set(Field f, const MacAddress& mac);
  Match& set(Field f, const Ipv4Address& addr);
  Match& set(Field f, const Ipv4Prefix& prefix);
  Match& set(Field f, const Ipv6Address& addr);
  Match& set(Field f, const Ipv6Prefix& prefix);
  /// Removes `f` (makes it a wildcard).
  Match& erase(Field f) noexcept;

  /// The constraint on `f`, if any.
  std::optional<Entry> find(Field f) const noexcept;
  bool has(Field f) const noexcept { return (fields_ & (std::uint64_t{1} << static_cast<unsigned>(f))) != 0; }
  /// True when `f` is present with a full mask.
  bool is_exact(Field f) const noexcept;
  /// The value of `f` as a number when present with a full mask.
  std::optional<std::uint64_t> exact_uint(Field f) const noexcept;
  std::optional<MacAddress> exact_mac(Field f) const noexcept;

  class Entries;
  /// The constraints in field order, as Entry values.
  Entries entries() const noexcept;
  bool empty() const noexcept { return fields_ == 0; }

  /// Throws ParseError naming the first field whose prerequisite is not in this match.
  void check_prerequisites() const;

  /// The match of the packets both match; nullopt when no packet matches both.
  std::optional<Match> intersect(const Match& other) const;
  /// True when every packet this matches is also matched by `other`.
  bool is_subset_of(const Match& other) const noexcept;
  /// True when at least one packet is matched by both.
  bool overlaps(const Match& other) const noexcept;

  /// Orders as the sequences of entries() compare.
  std::strong_ordering operator<=>(const Match& other) const noexcept;
  bool operator==(const Match& other) const noexcept {
    return fields_ == other.fields_ && exact_ == other.exact_ && size_ == other.size_ &&
           std::memcmp(data(), other.data(), size_) == 0;
  }

 private:
  friend struct std::hash<Match>;
  // Compact, because matches are built, intersected, hashed and copied on the translator's
  // hot path: a bit per constrained field, a bit per field whose mask is full, and the
  // fields' bytes packed in field order: field_bytes(f) value bytes, then as many mask
  // bytes unless the mask is full. Canonical, so equal matches have equal bytes. The bytes
  // are inline up to what almost every match needs (in_port, both MAC and IP addresses,
  // dl_type, nw_proto, tp_dst and metadata take 37), in `spilled_` beyond.
  std::uint64_t fields_ = 0;
  std::uint64_t exact_ = 0;
  std::uint16_t size_ = 0;
  std::array<std::uint8_t, 48> inline_{};
  std::vector<std::uint8_t> spilled_;  // empty unless size_ > inline_.size()

  const std::uint8_t* data() const noexcept { return spilled_.empty() ? inline_.data() : spilled_.data(); }
  // Where the bytes of `f` start (or would start).
  std::size_t offset_of(Field f) const noexcept;
  // Replaces `remove` bytes at `at` with the `n` bytes at `add`.
  void splice(std::size_t at, std::size_t remove, const std::uint8_t* add, std::size_t n);
  // Puts `f` (absent) at byte `at`, its value masked, its mask kept unless it is full.
  void place(std::size_t at, Field f, const FieldBytes& value, const FieldBytes& mask);
  // Appends `e`, after every field present.
  void append(const Entry& e);
};

/// The entries of a Match in field order: a forward range of Entry values, valid while the
/// match is unchanged.
class Match::Entries {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using reference = Entry;
    using pointer = void;

    iterator() = default;
    Entry operator*() const noexcept;
    iterator& operator++() noexcept;
    iterator operator++(int) noexcept {
      iterator was = *this;
      ++*this;
      return was;
    }
    bool operator==(const iterator& other) const noexcept { return rest_ == other.rest_; }

   private:
    friend class Entries;
    friend class Match;
    iterator(const Match* m, std::uint64_t rest, const std::uint8_t* at) noexcept : m_(m), rest_(rest), at_(at) {}
    const Match* m_ = nullptr;
    std::uint64_t rest_ = 0;  // fields not yet passed, the current one included
    const std::uint8_t* at_ = nullptr;
  };

  iterator begin() const noexcept { return {m_, m_->fields_, m_->data()}; }
  iterator end() const noexcept { return {m_, 0, nullptr}; }
  std::size_t size() const noexcept;
  bool empty() const noexcept { return m_->fields_ == 0; }

 private:
  friend class Match;
  explicit Entries(const Match* m) noexcept : m_(m) {}
  const Match* m_;
};

inline Match::Entries Match::entries() const noexcept { return Entries(this); }

/// The same match seen in the opposite direction: every source field swapped with its
/// destination counterpart (eth, IPv4, IPv6, ARP, TCP, UDP, SCTP).
Match reversed(const Match& m);

}  // namespace vtap

template <>
struct std::hash<vtap::Match> {
  std::size_t operator()(const vtap::Match& m) const noexcept;
};
