// OpenFlow message framing and dispatch, and the small messages: HELLO, ERROR, ECHO,
// FEATURES, BARRIER, PORT_STATUS (with the ofp_port of each version).

#include "libvtap/openflow/messages.hpp"

#include <algorithm>
#include <string>
#include <type_traits>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "message_wire.hpp"

namespace vtap::openflow {
namespace wire {

std::size_t begin_message(Writer& out, Version version, std::uint8_t type, std::uint32_t xid) {
  const std::size_t start = out.size();
  out.u8(static_cast<std::uint8_t>(version));
  out.u8(type);
  out.u16(0);  // Length, patched by end_message.
  out.u32(xid);
  return start;
}

void end_message(Writer& out, std::size_t start) { out.patch_length(start + 2, start); }

void expect_end(const Reader& in, const char* what) {
  if (!in.empty()) {
    in.fail(errors::brc_bad_len, std::string(what) + " has " + std::to_string(in.remaining()) + " trailing bytes");
  }
}

// ofp_port: 64 fixed bytes in OpenFlow 1.3; from 1.4 on 40 bytes with a length, followed
// by properties (OVS sends the 32-byte ethernet property, OFPPDPT_ETHERNET).
constexpr std::size_t kPort13Size = 64;
constexpr std::size_t kPort14Size = 40;
constexpr std::uint16_t kPortPropEthernet = 0;
constexpr std::size_t kPortNameSize = 16;  // OFP_MAX_PORT_NAME_LEN, NUL included.

void encode_port(const PortDesc& port, Version version, Writer& out) {
  if (port.name.size() >= kPortNameSize || port.name.find('\0') != std::string::npos) {
    throw Error("port name '" + port.name + "' does not fit ofp_port (at most 15 bytes, no NUL)");
  }
  const std::size_t start = out.size();
  out.u32(port.port_no);
  if (version == Version::of13) {
    out.zeros(4);
  } else {
    out.u16(0);  // Length, patched below.
    out.zeros(2);
  }
  out.bytes(port.hw_addr.bytes());
  out.zeros(2);
  out.bytes({reinterpret_cast<const std::uint8_t*>(port.name.data()), port.name.size()});
  out.zeros(kPortNameSize - port.name.size());
  out.u32(port.config);
  out.u32(port.state);
  if (version != Version::of13) {
    out.u16(kPortPropEthernet);
    out.u16(32);
    out.zeros(4);
  }
  out.zeros(24);  // curr, advertised, supported, peer, curr_speed, max_speed: unknown here.
  if (version != Version::of13) out.patch_length(start + 4, start);
}

namespace {

void skip_port_properties(Reader& props) {
  while (!props.empty()) {
    if (props.remaining() < 4) props.fail(errors::brc_bad_len, "truncated port property header");
    props.skip(2);  // Type: every property is skipped, only the lengths are checked.
    const std::uint16_t length = props.u16();
    if (length < 4 || pad8(length) - 4 > props.remaining()) {
      props.fail(errors::brc_bad_len, "port property length " + std::to_string(length) + " is below 4 or past the port");
    }
    props.skip(pad8(length) - 4);
  }
}

}  // namespace

PortDesc decode_port(Reader& in, Version version) {
  PortDesc port;
  const std::size_t fixed = version == Version::of13 ? kPort13Size : kPort14Size;
  if (in.remaining() < fixed) in.fail(errors::brc_bad_len, "truncated ofp_port");
  std::size_t length = kPort13Size;
  if (version != Version::of13) {
    length = in.peek_u16(4);
    if (length < kPort14Size || length > in.remaining()) {
      in.fail(errors::brc_bad_len, "ofp_port length " + std::to_string(length) + " is below 40 or past the message");
    }
  }
  Reader r = in.sub(length);
  port.port_no = r.u32();
  r.skip(4);
  MacAddress::Bytes mac{};
  const auto hw = r.bytes(6);
  std::copy(hw.begin(), hw.end(), mac.begin());
  port.hw_addr = MacAddress(mac);
  r.skip(2);
  const auto name = r.bytes(kPortNameSize);
  // As OVS does: the name ends at the first NUL and has at most 15 bytes.
  const auto end = std::find(name.begin(), name.begin() + kPortNameSize - 1, std::uint8_t{0});
  port.name.assign(name.begin(), end);
  port.config = r.u32();
  port.state = r.u32();
  if (version == Version::of13) {
    r.skip(24);
  } else {
    skip_port_properties(r);
  }
  return port;
}

}  // namespace wire

namespace {

using wire::begin_message;
using wire::end_message;
using wire::expect_end;

// HELLO elements (OpenFlow 1.5.1 §7.5.1).
constexpr std::uint16_t kHelloVersionBitmap = 1;  // OFPHET_VERSIONBITMAP

// OpenFlow 1.3 (and for one code 1.4) carry some standard errors as ONF experimenter
// errors; OVS's lib/ofp-errors.h lists them. {standard code, ONF exp_code, last version}.
struct OnfError {
  ErrorCode code;
  std::uint16_t exp_code;
  Version last;
};
constexpr std::uint16_t kOnfBundleBase = 2300;
constexpr std::size_t kBundleErrors = 16;  // OFPBFC_UNKNOWN .. OFPBFC_BUNDLE_IN_PROGRESS.
constexpr OnfError kOnfErrors[] = {
    {errors::bac_bad_set_mask, 4250, Version::of14},
    {errors::bic_dup_inst, 2600, Version::of13},
};

std::optional<std::uint16_t> onf_exp_code(ErrorCode code, Version version) {
  if (version == Version::of13 && code.type == error_type::bundle_failed && code.code < kBundleErrors) {
    return static_cast<std::uint16_t>(kOnfBundleBase + code.code);
  }
  for (const OnfError& e : kOnfErrors) {
    if (e.code == code && version <= e.last) return e.exp_code;
  }
  return std::nullopt;
}

std::optional<ErrorCode> standard_error(std::uint16_t exp_code, Version version) {
  if (version == Version::of13 && exp_code >= kOnfBundleBase && exp_code < kOnfBundleBase + kBundleErrors) {
    return ErrorCode{error_type::bundle_failed, static_cast<std::uint16_t>(exp_code - kOnfBundleBase)};
  }
  for (const OnfError& e : kOnfErrors) {
    if (e.exp_code == exp_code && version <= e.last) return e.code;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Encoding

void encode_empty(MessageType type, Version version, std::uint32_t xid, Writer& out) {
  end_message(out, begin_message(out, version, static_cast<std::uint8_t>(type), xid));
}

void encode_one(const Hello& m, Version version, std::uint32_t xid, Writer& out) {
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::hello), xid);
  if (!m.versions.empty()) {
    std::uint32_t bitmap = 0;
    for (Version v : m.versions) bitmap |= std::uint32_t{1} << static_cast<unsigned>(v);
    out.u16(kHelloVersionBitmap);
    out.u16(8);
    out.u32(bitmap);
  }
  end_message(out, start);
}

void encode_one(const ErrorMessage& m, Version version, std::uint32_t xid, Writer& out) {
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::error), xid);
  if (const auto exp_code = onf_exp_code(m.code, version)) {
    out.u16(error_type::experimenter);
    out.u16(*exp_code);
    out.u32(onf_experimenter_id);
  } else {
    out.u16(m.code.type);
    out.u16(m.code.code);
    if (m.code.type == error_type::experimenter) out.u32(m.experimenter);
  }
  out.bytes(m.data);
  end_message(out, start);
}

void encode_data(MessageType type, const std::vector<std::uint8_t>& data, Version version, std::uint32_t xid,
                 Writer& out) {
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(type), xid);
  out.bytes(data);
  end_message(out, start);
}

void encode_one(const FeaturesReply& m, Version version, std::uint32_t xid, Writer& out) {
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::features_reply), xid);
  out.u64(m.datapath_id);
  out.u32(m.n_buffers);
  out.u8(m.n_tables);
  out.u8(m.auxiliary_id);
  out.zeros(2);
  out.u32(m.capabilities);
  out.u32(0);  // reserved
  end_message(out, start);
}

void encode_one(const PortStatus& m, Version version, std::uint32_t xid, Writer& out) {
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(MessageType::port_status), xid);
  out.u8(static_cast<std::uint8_t>(m.reason));
  out.zeros(7);
  wire::encode_port(m.desc, version, out);
  end_message(out, start);
}

template <typename Body>
void encode_with_body(MessageType type, const Body& m, Version version, std::uint32_t xid, Writer& out,
                      void (*body)(const Body&, Version, Writer&)) {
  const std::size_t start = begin_message(out, version, static_cast<std::uint8_t>(type), xid);
  body(m, version, out);
  end_message(out, start);
}

void encode_message(const Message& message, Version version, std::uint32_t xid, Writer& out) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, ErrorMessage> ||
                      std::is_same_v<T, FeaturesReply> || std::is_same_v<T, PortStatus>) {
          encode_one(m, version, xid, out);
        } else if constexpr (std::is_same_v<T, EchoRequest>) {
          encode_data(MessageType::echo_request, m.data, version, xid, out);
        } else if constexpr (std::is_same_v<T, EchoReply>) {
          encode_data(MessageType::echo_reply, m.data, version, xid, out);
        } else if constexpr (std::is_same_v<T, FeaturesRequest>) {
          encode_empty(MessageType::features_request, version, xid, out);
        } else if constexpr (std::is_same_v<T, BarrierRequest>) {
          encode_empty(MessageType::barrier_request, version, xid, out);
        } else if constexpr (std::is_same_v<T, BarrierReply>) {
          encode_empty(MessageType::barrier_reply, version, xid, out);
        } else if constexpr (std::is_same_v<T, FlowMod>) {
          encode_with_body(MessageType::flow_mod, m, version, xid, out, &wire::encode_flow_mod);
        } else if constexpr (std::is_same_v<T, GroupMod>) {
          encode_with_body(MessageType::group_mod, m, version, xid, out, &wire::encode_group_mod);
        } else if constexpr (std::is_same_v<T, MeterMod>) {
          encode_with_body(MessageType::meter_mod, m, version, xid, out, &wire::encode_meter_mod);
        } else if constexpr (std::is_same_v<T, MultipartRequest>) {
          encode_with_body(MessageType::multipart_request, m, version, xid, out, &wire::encode_multipart_request);
        } else if constexpr (std::is_same_v<T, MultipartReply>) {
          encode_with_body(MessageType::multipart_reply, m, version, xid, out, &wire::encode_multipart_reply);
        } else if constexpr (std::is_same_v<T, BundleControl>) {
          wire::encode_bundle_control(m, version, xid, out);
        } else {
          static_assert(std::is_same_v<T, BundleAdd>);
          wire::encode_bundle_add(m, version, xid, out);
        }
      },
      message);
}

// ---------------------------------------------------------------------------------------
// Decoding

// Reads HELLO elements; returns the first version bitmap's first word, if any.
std::optional<std::uint32_t> decode_hello_bitmap(Reader& body) {
  std::optional<std::uint32_t> bitmap;
  while (!body.empty()) {
    if (body.remaining() < 4) body.fail(errors::brc_bad_len, "truncated hello element header");
    const std::uint16_t type = body.u16();
    const std::uint16_t length = body.u16();
    if (length < 4 || length - 4U > body.remaining()) {
      body.fail(errors::brc_bad_len, "hello element length " + std::to_string(length) + " is below 4 or past the message");
    }
    Reader element = body.sub(length - 4U);
    // Elements are padded to 8 bytes; a peer may leave out the padding of the last one.
    body.skip(std::min(pad8(length) - length, body.remaining()));
    if (type != kHelloVersionBitmap || bitmap) continue;  // Unknown elements are ignored.
    if (element.empty() || element.remaining() % 4 != 0) {
      element.fail(errors::brc_bad_len, "version bitmap of " + std::to_string(element.remaining()) +
                                            " bytes is not a non-empty multiple of 4");
    }
    bitmap = element.u32();  // Later words are versions 32 and up.
  }
  return bitmap;
}

Hello decode_hello(Reader& body) {
  Hello hello;
  if (const auto bitmap = decode_hello_bitmap(body)) {
    for (Version v : {Version::of13, Version::of14, Version::of15}) {
      if ((*bitmap >> static_cast<unsigned>(v)) & 1U) hello.versions.push_back(v);
    }
  }
  return hello;
}

ErrorMessage decode_error(Reader& body, Version version) {
  ErrorMessage m;
  m.code.type = body.u16();
  m.code.code = body.u16();
  if (m.code.type == error_type::experimenter) {
    m.experimenter = body.u32();
    if (m.experimenter == onf_experimenter_id) {
      if (const auto standard = standard_error(m.code.code, version)) {
        m.code = *standard;
        m.experimenter = 0;
      }
    }
  }
  const auto data = body.bytes(body.remaining());
  m.data.assign(data.begin(), data.end());
  return m;
}

std::vector<std::uint8_t> rest(Reader& body) {
  const auto data = body.bytes(body.remaining());
  return {data.begin(), data.end()};
}

FeaturesReply decode_features_reply(Reader& body) {
  FeaturesReply m;
  m.datapath_id = body.u64();
  m.n_buffers = body.u32();
  m.n_tables = body.u8();
  m.auxiliary_id = body.u8();
  body.skip(2);
  m.capabilities = body.u32();
  body.skip(4);  // reserved
  expect_end(body, "OFPT_FEATURES_REPLY");
  return m;
}

PortStatus decode_port_status(Reader& body, Version version) {
  PortStatus m;
  const std::uint8_t reason = body.u8();
  // OVS answers NXBRC_BAD_REASON, a Nicira error; the nearest standard one is BAD_TYPE.
  if (reason > 2) body.fail(errors::brc_bad_type, "port status reason " + std::to_string(reason) + " is unknown");
  m.reason = static_cast<PortStatus::Reason>(reason);
  body.skip(7);
  m.desc = wire::decode_port(body, version);
  expect_end(body, "OFPT_PORT_STATUS");
  return m;
}

template <typename T>
T decode_empty(Reader& body, const char* name) {
  expect_end(body, name);
  return T{};
}

Message decode_experimenter(Reader& body, Version version, std::uint32_t xid) {
  const std::uint32_t experimenter = body.u32();
  const std::uint32_t exp_type = body.u32();
  if (experimenter != onf_experimenter_id) {
    body.fail(errors::brc_bad_experimenter, "experimenter " + std::to_string(experimenter) + " is not ONF");
  }
  // The ONF bundle extension (EXT-230) is how OpenFlow 1.3 has bundles; 1.4+ have the
  // standard messages instead, and OVS accepts the extension only in 1.3.
  if (version == Version::of13 && exp_type == wire::onf_bundle_control) return wire::decode_bundle_control(body);
  if (version == Version::of13 && exp_type == wire::onf_bundle_add) return wire::decode_bundle_add(body, version, xid);
  body.fail(errors::brc_bad_exp_type, "ONF experimenter message type " + std::to_string(exp_type) + " is not supported in " +
                                          std::string(to_string(version)));
}

Message decode_body(std::uint8_t type, Reader& body, Version version, std::uint32_t xid) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::hello: return decode_hello(body);
    case MessageType::error: return decode_error(body, version);
    case MessageType::echo_request: return EchoRequest{rest(body)};
    case MessageType::echo_reply: return EchoReply{rest(body)};
    case MessageType::experimenter: return decode_experimenter(body, version, xid);
    case MessageType::features_request: return decode_empty<FeaturesRequest>(body, "OFPT_FEATURES_REQUEST");
    case MessageType::features_reply: return decode_features_reply(body);
    case MessageType::port_status: return decode_port_status(body, version);
    case MessageType::flow_mod: return wire::decode_flow_mod(body, version);
    case MessageType::group_mod: return wire::decode_group_mod(body, version);
    case MessageType::multipart_request: return wire::decode_multipart_request(body, version);
    case MessageType::multipart_reply: return wire::decode_multipart_reply(body, version);
    case MessageType::barrier_request: return decode_empty<BarrierRequest>(body, "OFPT_BARRIER_REQUEST");
    case MessageType::barrier_reply: return decode_empty<BarrierReply>(body, "OFPT_BARRIER_REPLY");
    case MessageType::meter_mod: return wire::decode_meter_mod(body, version);
    case MessageType::bundle_control:
      if (version == Version::of13) break;
      return wire::decode_bundle_control(body);
    case MessageType::bundle_add_message:
      if (version == Version::of13) break;
      return wire::decode_bundle_add(body, version, xid);
  }
  throw DecodeError(errors::brc_bad_type, "message type " + std::to_string(type) + " is not supported in " +
                                              std::string(to_string(version)));
}

}  // namespace

void encode(const Message& message, Version version, std::uint32_t xid, std::vector<std::uint8_t>& out) {
  // On failure `out` is left as it was.
  const std::size_t size = out.size();
  try {
    Writer w(out);
    encode_message(message, version, xid, w);
  } catch (...) {
    out.resize(size);
    throw;
  }
}

void encode_bundle_add(std::uint32_t bundle_id, std::uint16_t flags, const Message& inner, Version version,
                       std::uint32_t xid, std::vector<std::uint8_t>& out) {
  const std::size_t size = out.size();
  try {
    Writer w(out);
    wire::encode_bundle_add(bundle_id, flags, inner, version, xid, w);
  } catch (...) {
    out.resize(size);
    throw;
  }
}

std::vector<std::uint8_t> encode(const Message& message, Version version, std::uint32_t xid) {
  std::vector<std::uint8_t> out;
  encode(message, version, xid, out);
  return out;
}

Header decode_header(std::span<const std::uint8_t> bytes) {
  Reader in(bytes, errors::brc_bad_len);
  if (bytes.size() < wire::header_size) in.fail(errors::brc_bad_len, "an OpenFlow header needs 8 bytes");
  Header h;
  h.version = in.u8();
  h.type = in.u8();
  h.length = in.u16();
  h.xid = in.u32();
  if (h.length < wire::header_size) {
    throw DecodeError(errors::brc_bad_len, "message length " + std::to_string(h.length) + " is below 8");
  }
  return h;
}

Frame decode(std::span<const std::uint8_t> bytes) {
  const Header h = decode_header(bytes);
  if (h.length != bytes.size()) {
    throw DecodeError(errors::brc_bad_len, "message length " + std::to_string(h.length) + " but " +
                                               std::to_string(bytes.size()) + " bytes given");
  }
  const auto version = version_from_wire(h.version);
  if (!version) {
    throw DecodeError(errors::brc_bad_version, "OpenFlow wire version " + std::to_string(h.version) +
                                                   " is not 1.3 (4), 1.4 (5) or 1.5 (6)");
  }
  Reader body(bytes.subspan(wire::header_size), errors::brc_bad_len);
  return Frame{*version, h.xid, decode_body(h.type, body, *version, h.xid)};
}

std::optional<Version> negotiate_version(std::span<const std::uint8_t> peer_hello) {
  const Header h = decode_header(peer_hello);
  if (h.length != peer_hello.size()) throw DecodeError(errors::brc_bad_len, "HELLO length does not match its bytes");
  if (h.type != static_cast<std::uint8_t>(MessageType::hello)) {
    throw DecodeError(errors::brc_bad_type, "message type " + std::to_string(h.type) + " is not OFPT_HELLO");
  }
  Reader body(peer_hello.subspan(wire::header_size), errors::brc_bad_len);
  const auto bitmap = decode_hello_bitmap(body);
  for (Version v : {Version::of15, Version::of14, Version::of13}) {
    const auto wire_version = static_cast<std::uint8_t>(v);
    if (bitmap ? ((*bitmap >> wire_version) & 1U) != 0 : wire_version <= h.version) return v;
  }
  return std::nullopt;
}

std::string_view type_name(const Message& message) noexcept {
  constexpr std::string_view kNames[] = {
      "OFPT_HELLO",          "OFPT_ERROR",         "OFPT_ECHO_REQUEST",      "OFPT_ECHO_REPLY",
      "OFPT_FEATURES_REQUEST", "OFPT_FEATURES_REPLY", "OFPT_BARRIER_REQUEST", "OFPT_BARRIER_REPLY",
      "OFPT_FLOW_MOD",       "OFPT_GROUP_MOD",     "OFPT_METER_MOD",         "OFPT_PORT_STATUS",
      "OFPT_BUNDLE_CONTROL", "OFPT_BUNDLE_ADD_MESSAGE", "OFPT_MULTIPART_REQUEST", "OFPT_MULTIPART_REPLY",
  };
  static_assert(std::size(kNames) == std::variant_size_v<Message>);
  return kNames[message.index()];
}

}  // namespace vtap::openflow
