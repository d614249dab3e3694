// OpenFlow actions and the Nicira extensions OVS needs for truncation and resubmit.

#include "libvtap/openflow/actions.hpp"

#include <string>
#include <type_traits>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/oxm.hpp"

namespace vtap::openflow {
namespace {

enum ActionType : std::uint16_t {
  kOutput = 0,
  kPushVlan = 17,
  kPopVlan = 18,
  kGroup = 22,
  kSetField = 25,
  kMeter = 29,
  kExperimenter = 0xffff,
};
enum NiciraSubtype : std::uint16_t { kResubmitTable = 14, kOutputTrunc = 39 };

constexpr std::uint16_t kOfppInPort16 = 0xfff8;  // OFPP_IN_PORT in OpenFlow 1.0's 16 bits.
constexpr std::uint32_t kOfp11PortOffset = 0xffff0000;  // 16-bit reserved port + this = 32-bit.
constexpr std::uint16_t kOfppMax16 = 0xff00;
constexpr std::uint8_t kTableAll = 0xff;
constexpr std::uint16_t kVidPresent = 0x1000;

bool is_read_only(Field f) noexcept {
  return f == Field::in_port || f == Field::eth_type || f == Field::ip_proto || f == Field::mpls_bos ||
         f == Field::tcp_flags;
}

std::string name_of(Field f) {
  const FieldInfo& info = field_info(f);
  return std::string(info.name.starts_with("tp_") ? info.alias : info.name);
}

bool is_vlan_tpid(std::uint16_t ethertype) noexcept { return ethertype == 0x8100 || ethertype == 0x88a8; }

// OVS truncates only to physical ports, IN_PORT and LOCAL; NXAST_OUTPUT_TRUNC carries an
// OpenFlow 1.0 (16-bit) port, so reserved ports are mapped to and from their 32-bit form.
bool is_truncatable(std::uint32_t port) noexcept {
  return port < kOfppMax16 || port == port_in_port || port == port_local;
}
std::uint16_t to_port16(std::uint32_t port) noexcept {
  return static_cast<std::uint16_t>(port < kOfppMax16 ? port : port - kOfp11PortOffset);
}
std::uint32_t from_port16(std::uint16_t port) noexcept {
  return port < kOfppMax16 ? port : kOfp11PortOffset + port;
}

// ---------------------------------------------------------------------------------------
// Encoding

void put_header(std::uint16_t type, std::uint16_t length, Writer& out) {
  out.u16(type);
  out.u16(length);
}

void put_nicira_header(NiciraSubtype subtype, Writer& out) {
  put_header(kExperimenter, 16, out);
  out.u32(nicira_experimenter_id);
  out.u16(subtype);
}

void encode(const OutputAction& a, Version, Writer& out) {
  if (a.port == port_any) throw Error("output to OFPP_ANY is not a valid action");
  if (a.max_len && a.port != port_controller) {
    if (!is_truncatable(a.port)) {
      throw Error("output(port=" + port_to_string(a.port) + ",max_len=...): OVS truncates only to physical ports, "
                  "IN_PORT and LOCAL");
    }
    if (*a.max_len < min_truncate_len) {
      throw Error("output max_len=" + std::to_string(*a.max_len) + " is below the 14-byte Ethernet header");
    }
    put_nicira_header(kOutputTrunc, out);
    out.u16(to_port16(a.port));
    out.u32(*a.max_len);
    return;
  }
  put_header(kOutput, 16, out);
  out.u32(a.port);
  out.u16(a.port == port_controller ? a.max_len.value_or(max_len_no_buffer) : max_len_no_buffer);
  out.zeros(6);
}

void encode(const GroupAction& a, Version, Writer& out) {
  put_header(kGroup, 8, out);
  out.u32(a.group_id);
}

void encode(const SetFieldAction& a, Version version, Writer& out) {
  const std::string name = name_of(a.field);
  if (is_read_only(a.field)) throw Error("set_field: " + name + " is read-only");
  if (a.field == Field::vlan_vid && (a.value[0] << 8 | a.value[1]) < kVidPresent) {
    throw Error("set_field: vlan_vid needs the OFPVID_PRESENT bit (0x1000)");
  }
  const std::size_t start = out.size();
  put_header(kSetField, 0, out);
  encode_oxm_field(a.field, a.value, std::nullopt, version, out);
  out.pad_to_8(start);
  out.patch_length(start + 2, start);
}

void encode(const PushVlanAction& a, Version, Writer& out) {
  if (!is_vlan_tpid(a.ethertype)) throw Error("push_vlan: TPID must be 0x8100 or 0x88a8");
  put_header(kPushVlan, 8, out);
  out.u16(a.ethertype);
  out.zeros(2);
}

void encode(const PopVlanAction&, Version, Writer& out) {
  put_header(kPopVlan, 8, out);
  out.zeros(4);
}

void encode(const MeterAction& a, Version version, Writer& out) {
  if (version < Version::of15) {
    throw Error("meter:" + std::to_string(a.meter_id) + " cannot be an action in " + std::string(to_string(version)) +
                ": before OpenFlow 1.5 a meter is the meter instruction, so it must be a flow's first action");
  }
  if (a.meter_id == 0) throw Error("meter id 0 is not a valid meter");
  put_header(kMeter, 8, out);
  out.u32(a.meter_id);
}

void encode(const ResubmitAction& a, Version, Writer& out) {
  if (a.table == kTableAll) throw Error("resubmit(,255): 255 is not a table");
  put_nicira_header(kResubmitTable, out);
  out.u16(kOfppInPort16);
  out.u8(a.table);
  out.zeros(3);
}

// ---------------------------------------------------------------------------------------
// Decoding. Each decoder gets a reader over the action's body (after type and length).

void require_length(const Reader& body, std::uint16_t length, std::uint16_t expected, const char* what) {
  if (length != expected) {
    body.fail(errors::bac_bad_len,
              std::string(what) + " has length " + std::to_string(length) + ", expected " + std::to_string(expected));
  }
}

Action decode_output(Reader& body, std::uint16_t length) {
  require_length(body, length, 16, "OFPAT_OUTPUT");
  OutputAction a;
  a.port = body.u32();
  const std::uint16_t max_len = body.u16();
  if (a.port == port_any) body.fail(errors::bac_bad_out_port, "output to OFPP_ANY");
  if (a.port == port_controller && max_len != max_len_no_buffer) a.max_len = max_len;
  return a;  // The 6 pad bytes are not checked, as in OVS.
}

// Set-field reuses the match's OXM decoder; its match errors become set-field errors.
ErrorCode set_field_error(ErrorCode e) noexcept {
  if (e == errors::bmc_bad_field) return errors::bac_bad_set_type;
  if (e == errors::bmc_bad_mask) return errors::bac_bad_set_mask;
  if (e == errors::bmc_bad_value || e == errors::bmc_bad_wildcards) return errors::bac_bad_set_argument;
  return errors::bac_bad_set_len;
}

Action decode_set_field(Reader& body, Version version) {
  OxmEntry e;
  try {
    e = decode_oxm_field(body);
  } catch (const DecodeError& error) {
    throw DecodeError(set_field_error(error.error()), std::string("set_field: ") + error.what());
  }
  const std::string name = name_of(e.field);
  if (e.mask && (version < Version::of15 || *e.mask != full_field_mask(e.field))) {
    body.fail(errors::bac_bad_set_mask, "set_field of " + name + " with a mask");
  }
  for (const std::uint8_t pad : body.bytes(body.remaining())) {
    if (pad != 0) body.fail(errors::bac_bad_set_argument, "set_field padding is not zero");
  }
  if (is_read_only(e.field)) body.fail(errors::bac_bad_set_argument, "set_field of read-only " + name);
  if (e.field == Field::vlan_vid && (e.value[0] << 8 | e.value[1]) < kVidPresent) {
    body.fail(errors::bac_bad_set_argument, "set_field of vlan_vid without OFPVID_PRESENT");
  }
  return SetFieldAction{e.field, e.value};
}

Action decode_push_vlan(Reader& body, std::uint16_t length) {
  require_length(body, length, 8, "OFPAT_PUSH_VLAN");
  const std::uint16_t ethertype = body.u16();
  if (!is_vlan_tpid(ethertype)) body.fail(errors::bac_bad_argument, "push_vlan TPID is not 0x8100 or 0x88a8");
  return PushVlanAction{ethertype};
}

Action decode_meter(Reader& body, std::uint16_t length, Version version) {
  if (version < Version::of15) {
    body.fail(errors::bac_bad_type, "OFPAT_METER does not exist in " + std::string(to_string(version)));
  }
  require_length(body, length, 8, "OFPAT_METER");
  const std::uint32_t meter_id = body.u32();
  if (meter_id == 0) body.fail(errors::bac_bad_meter, "meter id 0");
  return MeterAction{meter_id};
}

Action decode_resubmit(Reader& body, std::uint16_t length) {
  require_length(body, length, 16, "NXAST_RESUBMIT_TABLE");
  const std::uint16_t in_port = body.u16();
  const std::uint8_t table = body.u8();
  const auto pad = body.bytes(3);
  if (in_port != kOfppInPort16) body.fail(errors::bac_bad_argument, "resubmit with an in_port other than IN_PORT");
  if (table == kTableAll) body.fail(errors::bac_bad_argument, "resubmit to table 255");
  if ((pad[0] | pad[1] | pad[2]) != 0) body.fail(errors::bac_bad_argument, "resubmit padding is not zero");
  return ResubmitAction{table};
}

Action decode_output_trunc(Reader& body, std::uint16_t length) {
  require_length(body, length, 16, "NXAST_OUTPUT_TRUNC");
  const std::uint32_t port = from_port16(body.u16());
  const std::uint32_t max_len = body.u32();
  if (!is_truncatable(port)) body.fail(errors::bac_bad_out_port, "truncated output to " + port_to_string(port));
  if (max_len < min_truncate_len || max_len > 0xffff) {
    body.fail(errors::bac_bad_argument, "truncation length " + std::to_string(max_len) + " is outside 14..65535");
  }
  return OutputAction{port, static_cast<std::uint16_t>(max_len)};
}

Action decode_experimenter(Reader& body, std::uint16_t length) {
  const std::uint32_t experimenter = body.u32();
  if (experimenter != nicira_experimenter_id) {
    body.fail(errors::bac_bad_experimenter, "experimenter " + std::to_string(experimenter) + " is not Nicira");
  }
  if (length < 16) body.fail(errors::bac_bad_len, "Nicira action shorter than 16 bytes");
  const std::uint16_t subtype = body.u16();
  if (subtype == kResubmitTable) return decode_resubmit(body, length);
  if (subtype == kOutputTrunc) return decode_output_trunc(body, length);
  body.fail(errors::bac_bad_exp_type, "Nicira action subtype " + std::to_string(subtype) + " is not supported");
}

}  // namespace

void encode_action(const Action& action, Version version, Writer& out) {
  std::visit([&](const auto& a) { encode(a, version, out); }, action);
}

void encode_actions(const std::vector<Action>& actions, Version version, Writer& out) {
  for (const Action& a : actions) encode_action(a, version, out);
}

Action decode_action(Reader& in, Version version) {
  if (in.remaining() < 4) in.fail(errors::bac_bad_len, "truncated action header");
  const std::uint16_t type = in.u16();
  const std::uint16_t length = in.u16();
  if (length < 8 || length % 8 != 0 || length - 4U > in.remaining()) {
    in.fail(errors::bac_bad_len, "action length " + std::to_string(length) + " is below 8, not a multiple of 8, or "
                                     "past the end of the action list");
  }
  Reader body = in.sub(length - 4U, errors::bac_bad_len);
  switch (type) {
    case kOutput: return decode_output(body, length);
    case kGroup:
      require_length(body, length, 8, "OFPAT_GROUP");
      return GroupAction{body.u32()};
    case kSetField: return decode_set_field(body, version);
    case kPushVlan: return decode_push_vlan(body, length);
    case kPopVlan:
      require_length(body, length, 8, "OFPAT_POP_VLAN");
      return PopVlanAction{};
    case kMeter: return decode_meter(body, length, version);
    case kExperimenter: return decode_experimenter(body, length);
    default: body.fail(errors::bac_bad_type, "unknown action type " + std::to_string(type));
  }
}

std::vector<Action> decode_actions(Reader& in, std::size_t length, Version version) {
  if (length > in.remaining()) {
    in.fail(errors::bac_bad_len, "action list of " + std::to_string(length) + " bytes runs past the message");
  }
  Reader list = in.sub(length, errors::bac_bad_len);
  std::vector<Action> actions;
  while (!list.empty()) actions.push_back(decode_action(list, version));
  return actions;
}

}  // namespace vtap::openflow
