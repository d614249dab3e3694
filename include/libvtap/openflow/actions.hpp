#pragma once
/// @file
/// OpenFlow action lists (OpenFlow 1.5.1 §7.2.6) and the Nicira actions OVS adds.
///
/// | libvtap action                 | wire form                                                  |
/// |--------------------------------|------------------------------------------------------------|
/// | OutputAction{port}             | OFPAT_OUTPUT, max_len 0xffff (OFPCML_NO_BUFFER)            |
/// | OutputAction{CONTROLLER, L}    | OFPAT_OUTPUT with max_len L (the standard way to truncate) |
/// | OutputAction{port, L}          | NXAST_OUTPUT_TRUNC (Nicira subtype 39): port u16, max_len u32 |
/// | GroupAction                    | OFPAT_GROUP                                                |
/// | SetFieldAction                 | OFPAT_SET_FIELD with one OXM TLV, zero-padded to 8         |
/// | PushVlanAction / PopVlanAction | OFPAT_PUSH_VLAN / OFPAT_POP_VLAN                           |
/// | MeterAction                    | OFPAT_METER, OpenFlow 1.5 only (1.3/1.4: an instruction)   |
/// | ResubmitAction{table}          | NXAST_RESUBMIT_TABLE (subtype 14), in_port = OFPP_IN_PORT  |
///
/// Decoding accepts exactly what encoding produces and what OVS sends for the same actions,
/// so decode(encode(x)) == x and encode(decode(bytes)) decodes to the same actions.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "libvtap/model/flow.hpp"
#include "libvtap/openflow/buffer.hpp"
#include "libvtap/openflow/version.hpp"

namespace vtap::openflow {

/// OFPP_CONTROLLER: output to the controller (OpenFlow 1.5 §7.2.1).
inline constexpr std::uint32_t port_controller = 0xfffffffd;
/// OFPP_ANY: "no port"; never a valid output port.
inline constexpr std::uint32_t port_any = 0xffffffff;
/// OFPCML_NO_BUFFER: send the whole packet (the max_len of every plain output).
inline constexpr std::uint16_t max_len_no_buffer = 0xffff;
/// Nicira's experimenter id (NX_VENDOR_ID), used by NXAST_* actions.
inline constexpr std::uint32_t nicira_experimenter_id = 0x00002320;
/// The shortest truncation OVS accepts: an Ethernet header (ETH_HEADER_LEN).
inline constexpr std::uint32_t min_truncate_len = 14;

/// Appends one action. Throws vtap::Error for an action the wire or OVS cannot carry: a
/// MeterAction before OpenFlow 1.5 (meters there are the meter instruction, see
/// instructions.hpp), meter id 0, output to OFPP_ANY, truncation below 14 bytes or to a port
/// OVS cannot truncate to (only physical ports, IN_PORT, LOCAL; CONTROLLER uses max_len),
/// set_field on a read-only field (in_port, eth_type, ip_proto, mpls_bos, tcp_flags) or of a
/// vlan_vid without OFPVID_PRESENT (0x1000), push_vlan with a TPID other than 0x8100/0x88a8,
/// resubmit to table 255.
void encode_action(const Action& action, Version version, Writer& out);

/// Appends every action of `actions` in order (see encode_action).
void encode_actions(const std::vector<Action>& actions, Version version, Writer& out);

/// Reads one action. Throws DecodeError:
/// - OFPBAC_BAD_LEN: header truncated, length below 8, not a multiple of 8, past the end,
///   or not the fixed length of its type.
/// - OFPBAC_BAD_TYPE: an unknown type, or OFPAT_METER before OpenFlow 1.5.
/// - OFPBAC_BAD_EXPERIMENTER / OFPBAC_BAD_EXP_TYPE: not Nicira, or a Nicira subtype other
///   than NXAST_RESUBMIT_TABLE and NXAST_OUTPUT_TRUNC.
/// - OFPBAC_BAD_OUT_PORT: output to OFPP_ANY, or truncated output to a port OVS cannot
///   truncate to.
/// - OFPBAC_BAD_ARGUMENT: push_vlan TPID, truncation length outside 14..65535, resubmit
///   with an in_port other than OFPP_IN_PORT, table 255 or non-zero padding.
/// - OFPBAC_BAD_METER: meter id 0.
/// - OFPBAC_BAD_SET_TYPE / BAD_SET_LEN / BAD_SET_ARGUMENT / BAD_SET_MASK: set_field with an
///   unknown field, a bad OXM length, a bad value, read-only field or non-zero padding, or a
///   mask (allowed from OpenFlow 1.5 on only when it is all-ones).
Action decode_action(Reader& in, Version version);

/// Reads `length` bytes of actions (OFPBAC_BAD_LEN when fewer remain).
std::vector<Action> decode_actions(Reader& in, std::size_t length, Version version);

}  // namespace vtap::openflow
