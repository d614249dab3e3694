#pragma once
/// @file
/// The instruction list of a flow (OpenFlow 1.5.1 §7.2.5), mapped to FlowRule::actions.
///
/// libvtap flows only apply actions, so a FlowRule's action list becomes:
/// - OpenFlow 1.5: one OFPIT_APPLY_ACTIONS holding every action (OFPAT_METER included).
/// - OpenFlow 1.3/1.4: a leading MeterAction becomes OFPIT_METER (the only place a meter
///   can be there); the remaining actions become OFPIT_APPLY_ACTIONS.
/// An empty action list ("drop") is written as no instruction at all, as OVS does.
///
/// Decoding rejects the instructions libvtap's model cannot hold instead of skipping them,
/// so a flow read back from a switch never silently loses part of its behaviour:
/// OFPIT_GOTO_TABLE, OFPIT_WRITE_METADATA, OFPIT_WRITE_ACTIONS and OFPIT_CLEAR_ACTIONS throw
/// DecodeError(OFPBIC_UNSUP_INST).

#include <cstddef>
#include <vector>

#include "libvtap/model/flow.hpp"
#include "libvtap/openflow/buffer.hpp"
#include "libvtap/openflow/version.hpp"

namespace vtap::openflow {

/// Appends the instructions that apply `actions`. Throws vtap::Error when a MeterAction
/// is not the first action before OpenFlow 1.5, or for any action encode_action rejects.
void encode_instructions(const std::vector<Action>& actions, Version version, Writer& out);

/// Reads `length` bytes of instructions and returns the actions they apply, a meter
/// instruction first. Throws DecodeError:
/// - OFPBIC_BAD_LEN: truncated header, length below 8, not a multiple of 8, past the end,
///   or an OFPIT_METER not 8 bytes long.
/// - OFPBIC_UNKNOWN_INST: an unknown type, or OFPIT_METER in OpenFlow 1.5 (deprecated there).
/// - OFPBIC_UNSUP_INST: goto-table, write-metadata, write-actions, clear-actions.
/// - OFPBIC_BAD_EXPERIMENTER: an experimenter instruction.
/// - OFPBIC_DUP_INST: the same instruction twice.
/// - OFPMMFC_INVALID_METER: meter instruction with meter id 0.
/// - any error of decode_actions for the applied actions.
std::vector<Action> decode_instructions(Reader& in, std::size_t length, Version version);

/// The group and meter actions of an instruction list that libvtap's model cannot hold
/// whole (another controller's: OVN's conntrack, registers, learn, ...): what libvtap needs
/// to know of it to leave that controller's groups and meters alone. Lengths are checked as
/// strictly as by decode_instructions; other contents are skipped.
std::vector<Action> decode_instruction_references(Reader& in, std::size_t length, Version version);
/// The same for an action list (a group bucket's).
std::vector<Action> decode_action_references(Reader& in, std::size_t length, Version version);

}  // namespace vtap::openflow
