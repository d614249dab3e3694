#pragma once
// Internal: the per-concept pieces of the OpenFlow message codec (messages.hpp), shared by
// src/openflow/message*.cpp. Encoders append a complete message or structure; decoders read
// a message body (the bytes after the 8-byte ofp_header) from a Reader whose underrun
// error is OFPBRC_BAD_LEN.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "libvtap/openflow/buffer.hpp"
#include "libvtap/openflow/messages.hpp"

namespace vtap::openflow::wire {

inline constexpr std::size_t header_size = 8;
inline constexpr std::uint32_t no_buffer = 0xffffffff;        // OFP_NO_BUFFER
inline constexpr std::uint32_t group_max = 0xffffff00;        // OFPG_MAX
inline constexpr std::uint32_t bucket_max = 0xffffff00;       // OFPG15_BUCKET_MAX
inline constexpr std::uint32_t bucket_all = 0xffffffff;       // OFPG15_BUCKET_ALL
inline constexpr std::uint32_t meter_max = 0xffff0000;        // OFPM_MAX
inline constexpr std::uint32_t onf_bundle_control = 2300;     // ONFT_BUNDLE_CONTROL (EXT-230)
inline constexpr std::uint32_t onf_bundle_add = 2301;         // ONFT_BUNDLE_ADD_MESSAGE (EXT-230)

/// Writes an ofp_header with a zero length; returns where the message starts.
std::size_t begin_message(Writer& out, Version version, std::uint8_t type, std::uint32_t xid);
/// Patches the length of the message that starts at `start`.
void end_message(Writer& out, std::size_t start);
/// Throws DecodeError(OFPBRC_BAD_LEN) unless `in` is exhausted.
void expect_end(const Reader& in, const char* what);

// Modifications (message_mods.cpp): bodies only.
void encode_flow_mod(const FlowMod& m, Version version, Writer& out);
FlowMod decode_flow_mod(Reader& body, Version version);
void encode_group_mod(const GroupMod& m, Version version, Writer& out);
GroupMod decode_group_mod(Reader& body, Version version);
void encode_meter_mod(const MeterMod& m, Version version, Writer& out);
MeterMod decode_meter_mod(Reader& body, Version version);

// Pieces the multipart replies share with the modifications.
/// The buckets of `group` (ofp_bucket in 1.3/1.4, ofp15_bucket in 1.5), nothing before them.
void encode_buckets(const GroupEntry& group, Version version, Writer& out);
/// Reads buckets until `in` is exhausted; 1.3/1.4 buckets get ids 0, 1, 2...
/// The buckets of a group; with `references`, each holding only its group and meter actions
/// (for a group of another controller's that libvtap's model cannot hold).
std::vector<Bucket> decode_buckets(Reader& in, Version version, bool references = false);
/// Reads a group type byte (OFPGMFC_BAD_TYPE for an unknown one).
GroupType decode_group_type(Reader& in);
/// OFPMF_* flags of `meter`.
std::uint16_t meter_flags(const MeterEntry& meter);
/// Writes the one OFPMBT_DROP band of `meter`.
void encode_meter_band(const MeterEntry& meter, Writer& out);
/// Builds a meter from its flags and its bands (exactly one drop band).
MeterEntry decode_meter(std::uint32_t meter_id, std::uint16_t flags, Reader& bands);

// Ports (messages.cpp).
void encode_port(const PortDesc& port, Version version, Writer& out);
PortDesc decode_port(Reader& in, Version version);

// Multipart (message_multipart.cpp): bodies only.
void encode_multipart_request(const MultipartRequest& m, Version version, Writer& out);
MultipartRequest decode_multipart_request(Reader& body, Version version);
void encode_multipart_reply(const MultipartReply& m, Version version, Writer& out);
MultipartReply decode_multipart_reply(Reader& body, Version version);

// Bundles (message_bundle.cpp): complete messages, because OpenFlow 1.3 wraps them in an
// ONF experimenter header. Decoders read what follows the header (1.4+) or the
// experimenter header (1.3).
void encode_bundle_control(const BundleControl& m, Version version, std::uint32_t xid, Writer& out);
BundleControl decode_bundle_control(Reader& body);
void encode_bundle_add(const BundleAdd& m, Version version, std::uint32_t xid, Writer& out);
/// The same for `inner` (a FlowMod or GroupMod; anything else throws vtap::Error).
void encode_bundle_add(std::uint32_t bundle_id, std::uint16_t flags, const Message& inner, Version version,
                       std::uint32_t xid, Writer& out);
BundleAdd decode_bundle_add(Reader& body, Version version, std::uint32_t xid);

}  // namespace vtap::openflow::wire
