// OXM TLVs and ofp_match: the wire form of libvtap's Match, as Open vSwitch speaks it.

#include "libvtap/openflow/oxm.hpp"

#include <array>
#include <bitset>
#include <cstdio>
#include <string>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/actions.hpp"

namespace vtap::openflow {
namespace {

using F = Field;

constexpr std::uint16_t kMatchTypeOxm = 1;  // OFPMT_OXM
constexpr std::uint8_t kOnfTcpFlagsField = 42;
constexpr std::uint8_t kNxmTunIpv4DstField = 32;
constexpr std::uint8_t kNxErspanIdxField = 11;  // Nicira experimenter OXMs

constexpr std::uint8_t kNxErspanVerField = 12;

// The OXM header of every Field, and its width on the wire, in enum order. Most are OpenFlow
// basic fields; tun_dst is Nicira's NXM_NX_TUN_IPV4_DST and tun_erspan_* are Nicira
// experimenter OXMs. (tcp_flags before OpenFlow 1.5 is ONF's experimenter field: oxm_header().)
struct WireField {
  F field;
  std::uint16_t oxm_class;
  std::uint8_t oxm_field;
  std::uint8_t width;
  std::uint32_t experimenter = 0;
};
constexpr std::uint16_t B = oxm_class_basic;
constexpr std::array<WireField, field_count> kWire = {{
    {F::in_port, B, 0, 4},        {F::tun_id, B, 38, 8},       {F::tun_dst, oxm_class_nxm1, kNxmTunIpv4DstField, 4},
    {F::metadata, B, 2, 8},       {F::eth_src, B, 4, 6},       {F::eth_dst, B, 3, 6},
    {F::eth_type, B, 5, 2},       {F::vlan_vid, B, 6, 2},      {F::vlan_pcp, B, 7, 1},
    {F::mpls_label, B, 34, 4},    {F::mpls_tc, B, 35, 1},      {F::mpls_bos, B, 36, 1},
    {F::ipv4_src, B, 11, 4},      {F::ipv4_dst, B, 12, 4},     {F::ipv6_src, B, 26, 16},
    {F::ipv6_dst, B, 27, 16},     {F::ipv6_label, B, 28, 4},   {F::ip_proto, B, 10, 1},
    {F::ip_dscp, B, 8, 1},        {F::ip_ecn, B, 9, 1},        {F::arp_op, B, 21, 2},
    {F::arp_spa, B, 22, 4},       {F::arp_tpa, B, 23, 4},      {F::arp_sha, B, 24, 6},
    {F::arp_tha, B, 25, 6},       {F::tcp_src, B, 13, 2},      {F::tcp_dst, B, 14, 2},
    {F::tcp_flags, B, 42, 2},     {F::udp_src, B, 15, 2},      {F::udp_dst, B, 16, 2},
    {F::sctp_src, B, 17, 2},      {F::sctp_dst, B, 18, 2},     {F::icmpv4_type, B, 19, 1},
    {F::icmpv4_code, B, 20, 1},   {F::icmpv6_type, B, 29, 1},  {F::icmpv6_code, B, 30, 1},
    {F::nd_target, B, 31, 16},    {F::nd_sll, B, 32, 6},       {F::nd_tll, B, 33, 6},
    {F::tun_erspan_idx, oxm_class_experimenter, kNxErspanIdxField, 4, nicira_experimenter_id},
    {F::tun_erspan_ver, oxm_class_experimenter, kNxErspanVerField, 1, nicira_experimenter_id},
}};

// The order OVS's nx_put_raw() writes fields in: L2, VLAN, MPLS, L3, L4, ARP, then tunnel
// and metadata. Every prerequisite precedes the fields that need it.
constexpr std::array<F, field_count> kWireOrder = {
    F::in_port,     F::eth_src,     F::eth_dst,     F::eth_type,    F::vlan_vid,    F::vlan_pcp,
    F::mpls_tc,     F::mpls_bos,    F::mpls_label,  F::ipv4_src,    F::ipv4_dst,    F::ipv6_src,
    F::ipv6_dst,    F::ip_dscp,     F::ip_ecn,      F::ipv6_label,  F::ip_proto,    F::tcp_src,
    F::tcp_dst,     F::tcp_flags,   F::udp_src,     F::udp_dst,     F::sctp_src,    F::sctp_dst,
    F::icmpv4_type, F::icmpv4_code, F::icmpv6_type, F::icmpv6_code, F::nd_target,   F::nd_sll,
    F::nd_tll,      F::arp_op,      F::arp_spa,     F::arp_tpa,     F::arp_sha,     F::arp_tha,
    F::tun_id,      F::tun_dst,     F::metadata,    F::tun_erspan_idx, F::tun_erspan_ver,
};

constexpr bool tables_are_consistent() {
  std::array<bool, field_count> seen{};
  for (std::size_t i = 0; i < field_count; ++i) {
    if (static_cast<std::size_t>(kWire[i].field) != i) return false;
    const auto f = static_cast<std::size_t>(kWireOrder[i]);
    if (seen[f]) return false;
    seen[f] = true;
  }
  return true;
}
static_assert(tables_are_consistent(), "kWire must be in enum order and kWireOrder a permutation of all fields");

constexpr std::size_t index(F f) noexcept { return static_cast<std::size_t>(f); }

// Each field's place in kWireOrder.
constexpr std::array<std::uint8_t, field_count> kWireRank = [] {
  std::array<std::uint8_t, field_count> rank{};
  for (std::size_t i = 0; i < field_count; ++i) rank[index(kWireOrder[i])] = static_cast<std::uint8_t>(i);
  return rank;
}();

// The field's name for messages: the unambiguous alias where OVS prints `tp_src`/`tp_dst`.
std::string name_of(F f) {
  const FieldInfo& info = field_info(f);
  return std::string(info.name.starts_with("tp_") ? info.alias : info.name);
}

bool within(const FieldBytes& bytes, const FieldBytes& mask) noexcept {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if ((bytes[i] & ~mask[i]) != 0) return false;
  }
  return true;
}

FieldBytes and_bytes(const FieldBytes& a, const FieldBytes& b) noexcept {
  FieldBytes out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(a[i] & b[i]);
  return out;
}

// Writes the model's value bytes in the field's wire width (left-padded with zeros).
void put_wire(const FieldBytes& bytes, F f, std::size_t width, Writer& out) {
  const std::size_t n = field_bytes(f);
  out.zeros(width - n);
  out.bytes(std::span<const std::uint8_t>(bytes.data(), n));
}

// The model's bytes of a wire value; `high_zero` tells whether the bytes the model drops
// (the high byte of a 4-byte MPLS or IPv6 label) were zero.
FieldBytes take_wire(std::span<const std::uint8_t> wire, F f, bool& high_zero) noexcept {
  const std::size_t n = field_bytes(f);
  const std::size_t extra = wire.size() - n;
  high_zero = true;
  for (std::size_t i = 0; i < extra; ++i) high_zero = high_zero && wire[i] == 0;
  FieldBytes out{};
  for (std::size_t i = 0; i < n; ++i) out[i] = wire[extra + i];
  return out;
}

// The Field a (class, field, experimenter) names, or nothing.
std::optional<F> lookup(std::uint16_t oxm_class, std::uint8_t field, std::uint32_t experimenter) noexcept {
  if (oxm_class == oxm_class_experimenter && experimenter == onf_experimenter_id && field == kOnfTcpFlagsField)
    return F::tcp_flags;
  for (const WireField& w : kWire)
    if (w.oxm_class == oxm_class && w.oxm_field == field && w.experimenter == experimenter) return w.field;
  return std::nullopt;
}

void check_encodable(F f, const FieldBytes& value, const std::optional<FieldBytes>& mask) {
  const FieldBytes full = full_field_mask(f);
  if (!within(value, full)) throw Error("OXM " + name_of(f) + ": value has bits outside the field");
  if (!mask) return;
  if (!within(*mask, full)) throw Error("OXM " + name_of(f) + ": mask has bits outside the field");
  if (!field_info(f).maskable && *mask != full) throw Error("OXM " + name_of(f) + ": field is not maskable");
  if (!within(value, *mask)) throw Error("OXM " + name_of(f) + ": value has bits outside the mask");
}

// Validates a decoded value and mask; returns the mask limited to the field's width.
std::optional<FieldBytes> check_decoded(const Reader& in, F f, const FieldBytes& value,
                                        const std::optional<FieldBytes>& mask) {
  const FieldBytes full = full_field_mask(f);
  if (!within(value, full)) in.fail(errors::bmc_bad_value, name_of(f) + " value has bits outside the field");
  if (!mask) return std::nullopt;
  const FieldBytes clipped = and_bytes(*mask, full);
  if (!field_info(f).maskable && clipped != full) in.fail(errors::bmc_bad_mask, name_of(f) + " cannot be masked");
  if (!within(value, clipped)) in.fail(errors::bmc_bad_wildcards, name_of(f) + " value has bits outside its mask");
  return clipped;
}

}  // namespace

FieldBytes full_field_mask(Field f) noexcept {
  FieldBytes m{};
  const unsigned bits = field_info(f).bits;
  const std::size_t n = field_bytes(f);
  for (std::size_t i = 0; i < n; ++i) m[i] = 0xff;
  m[0] = static_cast<std::uint8_t>(0xffU >> (n * 8U - bits));
  return m;
}

OxmHeader oxm_header(Field f, Version version) noexcept {
  const WireField& w = kWire[index(f)];
  if (f == F::tcp_flags && version < Version::of15) {
    return {oxm_class_experimenter, kOnfTcpFlagsField, w.width, onf_experimenter_id};
  }
  return {w.oxm_class, w.oxm_field, w.width, w.experimenter};
}

void encode_oxm_field(Field field, const FieldBytes& value, const std::optional<FieldBytes>& mask, Version version,
                      Writer& out) {
  if (index(field) >= field_count) throw Error("encode_oxm_field: invalid field");
  check_encodable(field, value, mask);
  const OxmHeader h = oxm_header(field, version);
  const bool experimenter = h.oxm_class == oxm_class_experimenter;
  const std::size_t length = (experimenter ? 4U : 0U) + h.width * (mask ? 2U : 1U);
  out.u16(h.oxm_class);
  out.u8(static_cast<std::uint8_t>((h.field << 1) | (mask ? 1U : 0U)));
  out.u8(static_cast<std::uint8_t>(length));
  if (experimenter) out.u32(h.experimenter);
  put_wire(value, field, h.width, out);
  if (mask) put_wire(*mask, field, h.width, out);
}

OxmEntry decode_oxm_field(Reader& in) {
  if (in.remaining() < 4) in.fail(errors::bmc_bad_len, "truncated OXM header");
  const std::uint16_t oxm_class = in.u16();
  const std::uint8_t type = in.u8();
  const std::uint8_t length = in.u8();
  if (length > in.remaining()) {
    in.fail(errors::bmc_bad_len, "OXM payload of " + std::to_string(length) + " bytes runs past the match");
  }
  Reader payload = in.sub(length, errors::bmc_bad_len);
  std::uint32_t experimenter = 0;
  if (oxm_class == oxm_class_experimenter) {
    if (payload.remaining() < 4) payload.fail(errors::bmc_bad_len, "experimenter OXM shorter than its experimenter id");
    experimenter = payload.u32();
  }
  const auto field_number = static_cast<std::uint8_t>(type >> 1);
  const bool has_mask = (type & 1U) != 0;
  const auto field = lookup(oxm_class, field_number, experimenter);
  if (!field) {
    char what[96];
    std::snprintf(what, sizeof what, "unknown OXM class 0x%04x field %u", oxm_class, field_number);
    payload.fail(errors::bmc_bad_field, what);
  }
  const std::size_t width = kWire[index(*field)].width;
  if (payload.remaining() != width * (has_mask ? 2U : 1U)) {
    payload.fail(errors::bmc_bad_len, name_of(*field) + " OXM has " + std::to_string(payload.remaining()) +
                                          " payload bytes, expected " + std::to_string(width * (has_mask ? 2U : 1U)));
  }
  OxmEntry entry{*field, {}, std::nullopt};
  bool high_zero = true;
  entry.value = take_wire(payload.bytes(width), *field, high_zero);
  if (!high_zero) payload.fail(errors::bmc_bad_value, name_of(*field) + " value has bits outside the field");
  if (has_mask) entry.mask = take_wire(payload.bytes(width), *field, high_zero);
  entry.mask = check_decoded(payload, *field, entry.value, entry.mask);
  return entry;
}

void encode_match(const Match& match, Version version, Writer& out) {
  try {
    match.check_prerequisites();
  } catch (const ParseError& e) {
    throw Error(std::string("cannot encode match: ") + e.what());
  }
  const std::size_t start = out.size();
  out.u16(kMatchTypeOxm);
  out.u16(0);  // Length, patched below: it excludes the padding.
  // The match's few fields put in wire order, rather than looking up every field.
  std::array<std::optional<Match::Entry>, field_count> in_order{};
  for (const Match::Entry& e : match.entries()) in_order[kWireRank[index(e.field)]] = e;
  for (const auto& e : in_order) {
    if (!e) continue;
    const bool exact = e->mask == full_field_mask(e->field);
    encode_oxm_field(e->field, e->value, exact ? std::nullopt : std::optional<FieldBytes>(e->mask), version, out);
  }
  out.patch_length(start + 2, start);
  out.pad_to_8(start);
}

Match decode_match(Reader& in) {
  if (in.remaining() < 4) in.fail(errors::bmc_bad_len, "truncated ofp_match header");
  const std::uint16_t type = in.u16();
  const std::uint16_t length = in.u16();
  if (type != kMatchTypeOxm) in.fail(errors::bmc_bad_type, "match type " + std::to_string(type) + " is not OFPMT_OXM");
  if (length < 4) in.fail(errors::bmc_bad_len, "match length " + std::to_string(length) + " is below 4");
  if (pad8(length) - 4 > in.remaining()) {
    in.fail(errors::bmc_bad_len, "match of " + std::to_string(length) + " bytes (padded to " +
                                     std::to_string(pad8(length)) + ") runs past the message");
  }
  Reader body = in.sub(length - 4U, errors::bmc_bad_len);
  in.skip_padding(length);

  Match match;
  std::bitset<field_count> seen;
  while (!body.empty()) {
    const OxmEntry e = decode_oxm_field(body);
    if (seen.test(index(e.field))) body.fail(errors::bmc_dup_field, name_of(e.field) + " appears twice");
    seen.set(index(e.field));
    match.set(e.field, e.value, e.mask.value_or(full_field_mask(e.field)));
    // The spec and OVS require each prerequisite to come before the fields that need it,
    // so the match read so far must be consistent after every field.
    try {
      match.check_prerequisites();
    } catch (const ParseError& error) {
      body.fail(errors::bmc_bad_prereq, error.what());
    }
  }
  return match;
}

}  // namespace vtap::openflow
