// OFPT_BUNDLE_CONTROL and OFPT_BUNDLE_ADD_MESSAGE (OpenFlow 1.4+), and their OpenFlow 1.3
// form, the ONF extension EXT-230 that OVS accepts: OFPT_EXPERIMENTER with experimenter
// ONF ("ONF\0") and exp_type ONFT_BUNDLE_CONTROL (2300) or ONFT_BUNDLE_ADD_MESSAGE (2301),
// followed by the same body as the standard message.

#include <string>
#include <type_traits>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "message_wire.hpp"

namespace vtap::openflow::wire {
namespace {

constexpr std::uint16_t kKnownFlags = bundle_atomic | bundle_ordered;

std::size_t begin_bundle_message(Writer& out, Version version, MessageType type, std::uint32_t exp_type,
                                 std::uint32_t xid) {
  if (version != Version::of13) return begin_message(out, version, static_cast<std::uint8_t>(type), xid);
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::experimenter), xid);
  out.u32(onf_experimenter_id);
  out.u32(exp_type);
  return start;
}

void check_flags(std::uint16_t flags, Reader* in) {
  if ((flags & ~kKnownFlags) == 0) return;
  const std::string detail = "bundle flags " + std::to_string(flags) + " have bits other than atomic and ordered";
  if (in) in->fail(errors::bfc_bad_flags, detail);
  throw Error(detail);
}

// Bundle properties (OFPBPT_*): only their lengths are checked; libvtap sends none.
void skip_properties(Reader& in) {
  while (!in.empty()) {
    if (in.remaining() < 4) in.fail(errors::brc_bad_len, "truncated bundle property");
    in.skip(2);
    const std::uint16_t length = in.u16();
    if (length < 4 || pad8(length) - 4 > in.remaining()) {
      in.fail(errors::brc_bad_len, "bundle property length " + std::to_string(length) + " is below 4 or past the message");
    }
    in.skip(pad8(length) - 4);
  }
}

}  // namespace

void encode_bundle_control(const BundleControl& m, Version version, std::uint32_t xid, Writer& out) {
  check_flags(m.flags, nullptr);
  const std::size_t start = begin_bundle_message(out, version, MessageType::bundle_control, onf_bundle_control, xid);
  out.u32(m.bundle_id);
  out.u16(static_cast<std::uint16_t>(m.type));
  out.u16(m.flags);
  end_message(out, start);
}

BundleControl decode_bundle_control(Reader& body) {
  BundleControl m;
  m.bundle_id = body.u32();
  const std::uint16_t type = body.u16();
  if (type > static_cast<std::uint16_t>(BundleControlType::discard_reply)) {
    body.fail(errors::bfc_bad_type, "bundle control type " + std::to_string(type) + " is unknown");
  }
  m.type = static_cast<BundleControlType>(type);
  m.flags = body.u16();
  check_flags(m.flags, &body);
  skip_properties(body);
  return m;
}

namespace {

// The embedded message carries the xid of the bundle add (OpenFlow 1.5.1 §7.3.9.6). It is
// written in place, not encoded apart and copied.
template <typename Inner>
void encode_bundle_add_of(std::uint32_t bundle_id, std::uint16_t flags, const Inner& inner, Version version,
                          std::uint32_t xid, Writer& out) {
  check_flags(flags, nullptr);
  const std::size_t start = begin_bundle_message(out, version, MessageType::bundle_add_message, onf_bundle_add, xid);
  out.u32(bundle_id);
  out.zeros(2);
  out.u16(flags);
  if constexpr (std::is_same_v<Inner, FlowMod>) {
    const std::size_t inner_start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::flow_mod), xid);
    encode_flow_mod(inner, version, out);
    end_message(out, inner_start);
  } else {
    const std::size_t inner_start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::group_mod), xid);
    encode_group_mod(inner, version, out);
    end_message(out, inner_start);
  }
  end_message(out, start);
}

}  // namespace

void encode_bundle_add(const BundleAdd& m, Version version, std::uint32_t xid, Writer& out) {
  std::visit([&](const auto& inner) { encode_bundle_add_of(m.bundle_id, m.flags, inner, version, xid, out); },
             m.message);
}

void encode_bundle_add(std::uint32_t bundle_id, std::uint16_t flags, const Message& inner, Version version,
                       std::uint32_t xid, Writer& out) {
  if (const auto* flow_mod = std::get_if<FlowMod>(&inner)) {
    encode_bundle_add_of(bundle_id, flags, *flow_mod, version, xid, out);
  } else if (const auto* group_mod = std::get_if<GroupMod>(&inner)) {
    encode_bundle_add_of(bundle_id, flags, *group_mod, version, xid, out);
  } else {
    throw Error("a bundle carries only flow and group modifications, not " + std::string(type_name(inner)));
  }
}

BundleAdd decode_bundle_add(Reader& body, Version version, std::uint32_t xid) {
  BundleAdd m;
  m.bundle_id = body.u32();
  body.skip(2);
  m.flags = body.u16();
  check_flags(m.flags, &body);
  if (body.remaining() < header_size) body.fail(errors::bfc_msg_bad_len, "the bundled message is missing or truncated");
  const std::uint16_t length = body.peek_u16(2);
  if (length < header_size || length > body.remaining()) {
    body.fail(errors::bfc_msg_bad_len, "bundled message length " + std::to_string(length) +
                                           " is below 8 or past the bundle add");
  }
  const auto inner = body.bytes(length);
  if (inner[0] != static_cast<std::uint8_t>(version)) {
    body.fail(errors::brc_bad_version, "bundled message has version " + std::to_string(inner[0]) + ", the bundle " +
                                           std::to_string(static_cast<int>(version)));
  }
  // Check the type before decoding, so bundles inside bundles never recurse.
  const std::uint8_t type = inner[1];
  if (type != static_cast<std::uint8_t>(MessageType::flow_mod) && type != static_cast<std::uint8_t>(MessageType::group_mod)) {
    body.fail(errors::bfc_msg_unsup, "message type " + std::to_string(type) + " cannot be bundled by libvtap");
  }
  const Frame frame = openflow::decode(inner);
  if (frame.xid != xid) {
    body.fail(errors::bfc_msg_bad_xid, "bundled message xid " + std::to_string(frame.xid) + " differs from the bundle's " +
                                           std::to_string(xid));
  }
  if (const auto* flow_mod = std::get_if<FlowMod>(&frame.message)) {
    m.message = *flow_mod;
  } else {
    m.message = std::get<GroupMod>(frame.message);
  }
  skip_properties(body);
  return m;
}

}  // namespace vtap::openflow::wire
