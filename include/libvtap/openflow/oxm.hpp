#pragma once
/// @file
/// OXM: the OpenFlow extensible match (OpenFlow 1.5.1 §7.2.3), as Open vSwitch speaks it.
///
/// Every libvtap Field is an OXM TLV `{class:16, field:7, hasmask:1, length:8, value, mask}`:
/// the OpenFlow basic class 0x8000 for standard fields, the Nicira class 0x0001
/// (NXM_NX_TUN_IPV4_DST) for `tun_dst`, and for `tcp_flags` in OpenFlow 1.3/1.4 the ONF
/// experimenter OXM (class 0xffff, experimenter 0x4f4e4600, field 42) that OVS uses there,
/// because OXM_OF_TCP_FLAGS only exists from OpenFlow 1.5 on. Decoders accept both
/// tcp_flags forms in every version, as OVS does.
///
/// Wire widths differ from the model's for two fields: `mpls_label` and `ipv6_label` are
/// 20-bit values that Match stores in 3 bytes but OXM carries in 4.

#include <cstdint>
#include <optional>

#include "libvtap/model/match.hpp"
#include "libvtap/openflow/buffer.hpp"
#include "libvtap/openflow/version.hpp"

namespace vtap::openflow {

/// OXM classes libvtap reads and writes.
inline constexpr std::uint16_t oxm_class_nxm1 = 0x0001;          ///< NXM_1 (Nicira extensions).
inline constexpr std::uint16_t oxm_class_basic = 0x8000;         ///< OFPXMC_OPENFLOW_BASIC.
inline constexpr std::uint16_t oxm_class_experimenter = 0xffff;  ///< OFPXMC_EXPERIMENTER.
/// The ONF experimenter id ("ONF\0") OVS uses for tcp_flags before OpenFlow 1.5.
inline constexpr std::uint32_t onf_experimenter_id = 0x4f4e4600;

/// Where one Field lives on the wire in a given version.
struct OxmHeader {
  std::uint16_t oxm_class = 0;
  std::uint8_t field = 0;             ///< The 7-bit oxm_field.
  std::uint8_t width = 0;             ///< Bytes of one value (or one mask) on the wire.
  std::uint32_t experimenter = 0;     ///< Only for oxm_class_experimenter.
};

/// The OXM header libvtap writes for `f` in `version`.
OxmHeader oxm_header(Field f, Version version) noexcept;

/// All-ones over the bits of `f` (FieldBytes layout): the mask of an exact match.
FieldBytes full_field_mask(Field f) noexcept;

/// One decoded OXM TLV. `mask` is present only when the TLV had the hasmask bit; it is
/// then limited to the field's width (OVS ignores mask bits past it, e.g. in a 32-bit
/// ipv6_label mask) and `value` has no bit outside it.
struct OxmEntry {
  Field field = Field::in_port;
  FieldBytes value{};
  std::optional<FieldBytes> mask;
  bool operator==(const OxmEntry&) const = default;
};

/// Writes one OXM TLV for `field`: header, value, and the mask when `mask` is given (the
/// hasmask bit is set even for a full mask; pass nullopt to write an exact value). Throws
/// vtap::Error when a bit of the value or mask is outside the field, or `field` is not
/// maskable and a non-full mask is given.
void encode_oxm_field(Field field, const FieldBytes& value, const std::optional<FieldBytes>& mask, Version version,
                      Writer& out);

/// Reads one OXM TLV and validates it on its own (duplicates and prerequisites are the
/// match's business). Throws DecodeError:
/// - OFPBMC_BAD_LEN: header or payload runs past the reader, or the payload length does
///   not fit the field (value, or value and mask).
/// - OFPBMC_BAD_FIELD: unknown class, field or experimenter.
/// - OFPBMC_BAD_VALUE: value bits outside the field's width (e.g. a VID above 0x1fff).
/// - OFPBMC_BAD_MASK: a mask that is not all-ones on a field that is not maskable.
/// - OFPBMC_BAD_WILDCARDS: a value bit set where the mask is zero.
OxmEntry decode_oxm_field(Reader& in);

/// Writes `match` as an `ofp_match` of type OFPMT_OXM: type, length, the OXM TLVs, then
/// zero padding to a multiple of 8. TLVs come in the order OVS itself writes them (which
/// puts every prerequisite first, as the spec requires), and a field whose mask is full is
/// written without a mask, so the bytes equal what `ovs-ofctl` sends for the same match.
/// Throws vtap::Error when `match` misses a prerequisite.
void encode_match(const Match& match, Version version, Writer& out);

/// Reads an `ofp_match` (including its padding) and returns the Match it describes.
/// Besides the errors of decode_oxm_field it throws DecodeError with OFPBMC_BAD_TYPE (not
/// OFPMT_OXM), OFPBMC_BAD_LEN (length below 4 or past the reader, padding missing),
/// OFPBMC_DUP_FIELD (a field twice) and OFPBMC_BAD_PREREQ (a field before, or without,
/// its prerequisite). Padding bytes are not required to be zero (OVS does not check).
Match decode_match(Reader& in);

}  // namespace vtap::openflow
