// Flow instructions: apply-actions, and the meter instruction of OpenFlow 1.3/1.4.

#include "libvtap/openflow/instructions.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/actions.hpp"

namespace vtap::openflow {
namespace {

enum InstructionType : std::uint16_t {
  kGotoTable = 1,
  kWriteMetadata = 2,
  kWriteActions = 3,
  kApplyActions = 4,
  kClearActions = 5,
  kMeter = 6,  // OpenFlow 1.3/1.4 only; "deprecated" (unknown) in 1.5.
  kExperimenter = 0xffff,
};

const char* unsupported_name(std::uint16_t type) noexcept {
  switch (type) {
    case kGotoTable: return "goto_table";
    case kWriteMetadata: return "write_metadata";
    case kWriteActions: return "write_actions";
    case kClearActions: return "clear_actions";
    default: return nullptr;
  }
}

bool is_meter(const Action& a) noexcept { return std::holds_alternative<MeterAction>(a); }

// What one flow's instructions hold.
struct Decoded {
  std::optional<std::uint32_t> meter;
  std::optional<std::vector<Action>> applied;
};

void decode_meter(Reader& body, std::uint16_t length, Decoded& out) {
  if (length != 8) body.fail(errors::bic_bad_len, "OFPIT_METER has length " + std::to_string(length) + ", expected 8");
  if (out.meter) body.fail(errors::bic_dup_inst, "two meter instructions");
  const std::uint32_t meter_id = body.u32();
  if (meter_id == 0) body.fail(errors::mmfc_invalid_meter, "meter instruction with meter id 0");
  out.meter = meter_id;
}

void decode_apply(Reader& body, Version version, Decoded& out) {
  if (out.applied) body.fail(errors::bic_dup_inst, "two apply_actions instructions");
  body.skip(4);  // Padding; OVS does not check it either.
  out.applied = decode_actions(body, body.remaining(), version);
}

void decode_one(Reader& in, Version version, Decoded& out) {
  if (in.remaining() < 4) in.fail(errors::bic_bad_len, "truncated instruction header");
  const std::uint16_t type = in.u16();
  const std::uint16_t length = in.u16();
  if (length < 8 || length % 8 != 0 || length - 4U > in.remaining()) {
    in.fail(errors::bic_bad_len, "instruction length " + std::to_string(length) +
                                     " is below 8, not a multiple of 8, or past the end of the instructions");
  }
  Reader body = in.sub(length - 4U, errors::bic_bad_len);
  if (type == kApplyActions) return decode_apply(body, version, out);
  if (type == kMeter && version < Version::of15) return decode_meter(body, length, out);
  if (const char* name = unsupported_name(type)) {
    body.fail(errors::bic_unsup_inst, std::string(name) + " instructions are not supported by libvtap's flow model");
  }
  if (type == kExperimenter) body.fail(errors::bic_bad_experimenter, "experimenter instruction");
  body.fail(errors::bic_unknown_inst, "unknown instruction type " + std::to_string(type) + " in " +
                                          std::string(to_string(version)));
}

}  // namespace

void encode_instructions(const std::vector<Action>& actions, Version version, Writer& out) {
  auto first = actions.begin();
  if (version < Version::of15 && first != actions.end() && is_meter(*first)) {
    const std::uint32_t meter_id = std::get<MeterAction>(*first).meter_id;
    if (meter_id == 0) throw Error("meter id 0 is not a valid meter");
    out.u16(kMeter);
    out.u16(8);
    out.u32(meter_id);
    ++first;
  }
  if (version < Version::of15 && std::any_of(first, actions.end(), is_meter)) {
    throw Error("in " + std::string(to_string(version)) +
                " a meter is the meter instruction, which runs before every action: it must be the first action");
  }
  if (first == actions.end()) return;
  const std::size_t start = out.size();
  out.u16(kApplyActions);
  out.u16(0);  // Length, patched below.
  out.zeros(4);
  for (auto it = first; it != actions.end(); ++it) encode_action(*it, version, out);
  out.patch_length(start + 2, start);
}

std::vector<Action> decode_instructions(Reader& in, std::size_t length, Version version) {
  if (length > in.remaining()) {
    in.fail(errors::bic_bad_len, "instructions of " + std::to_string(length) + " bytes run past the message");
  }
  Reader list = in.sub(length, errors::bic_bad_len);
  Decoded decoded;
  while (!list.empty()) decode_one(list, version, decoded);
  std::vector<Action> actions;
  if (decoded.meter) actions.emplace_back(MeterAction{*decoded.meter});
  if (decoded.applied) actions.insert(actions.end(), decoded.applied->begin(), decoded.applied->end());
  return actions;
}

namespace {

// One type-length-value element of an action or instruction list: its type, and its body
// as a reader, with the same length checks as the strict decoders.
std::pair<std::uint16_t, Reader> next_tlv(Reader& list, ErrorCode bad_len, const char* what) {
  if (list.remaining() < 4) list.fail(bad_len, std::string("truncated ") + what + " header");
  const std::uint16_t type = list.u16();
  const std::uint16_t length = list.u16();
  if (length < 8 || length % 8 != 0 || length - 4U > list.remaining())
    list.fail(bad_len, std::string(what) + " length " + std::to_string(length) +
                           " is below 8, not a multiple of 8, or past the end of the list");
  return {type, list.sub(length - 4U, bad_len)};
}

constexpr std::uint16_t kActionGroup = 22, kActionMeter = 29;

}  // namespace

std::vector<Action> decode_action_references(Reader& in, std::size_t length, Version version) {
  if (length > in.remaining()) in.fail(errors::bac_bad_len, "action list runs past the message");
  Reader list = in.sub(length, errors::bac_bad_len);
  std::vector<Action> out;
  while (!list.empty()) {
    auto [type, body] = next_tlv(list, errors::bac_bad_len, "action");
    if (type == kActionGroup && body.remaining() == 4) out.emplace_back(GroupAction{body.u32()});
    if (type == kActionMeter && version == Version::of15 && body.remaining() == 4) out.emplace_back(MeterAction{body.u32()});
  }
  return out;
}

std::vector<Action> decode_instruction_references(Reader& in, std::size_t length, Version version) {
  if (length > in.remaining()) in.fail(errors::bic_bad_len, "instructions run past the message");
  Reader list = in.sub(length, errors::bic_bad_len);
  std::optional<std::uint32_t> meter;  // before 1.5 the one meter instruction, which runs first
  std::vector<Action> out;
  while (!list.empty()) {
    auto [type, body] = next_tlv(list, errors::bic_bad_len, "instruction");
    if (type == kMeter && version < Version::of15 && body.remaining() == 4 && !meter) meter = body.u32();
    if (type == kApplyActions || type == kWriteActions) {
      body.skip(4);
      auto actions = decode_action_references(body, body.remaining(), version);
      out.insert(out.end(), actions.begin(), actions.end());
    }
  }
  if (meter && *meter != 0) out.insert(out.begin(), MeterAction{*meter});
  return out;
}

}  // namespace vtap::openflow
