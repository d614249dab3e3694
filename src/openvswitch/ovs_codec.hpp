#pragma once
// libvtap's messages through Open vSwitch's own encoders and decoders: RAII owners of the
// libopenvswitch C objects, encoding a FlowMod/GroupMod/MeterMod by printing it in
// ovs-ofctl syntax and handing that to parse_ofp_*_str() and ofputil_encode_*(), and
// converting what ofputil_decode_*() reads back into libvtap's model. Internal to
// src/ovs/ (and the parity tests): no OVS type leaves this directory otherwise.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libvtap/model/flow.hpp"
#include "libvtap/openflow/messages.hpp"

struct ofpbuf;
struct ovs_list;

namespace vtap::ovs {

/// Initialises libopenvswitch once per process (thread-safe; see ovs_lib.h).
void init_once();

/// While alive, SIGPIPE is blocked in the calling thread, so a write by libopenvswitch to a
/// peer that has gone fails with EPIPE instead of killing the process (OVS's own programs
/// ignore SIGPIPE process-wide; a library must not). A SIGPIPE raised meanwhile is
/// consumed before the previous mask is restored. Wrap every OVS call that does I/O.
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept;
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  bool was_pending_ = false;
  bool was_blocked_ = false;
};

struct OfpbufDelete {
  void operator()(ofpbuf* b) const noexcept;
};
/// An owned `struct ofpbuf` (ofpbuf_delete).
using Buffer = std::unique_ptr<ofpbuf, OfpbufDelete>;

/// The bytes of a buffer.
std::span<const std::uint8_t> bytes_of(const ofpbuf& b) noexcept;
/// The xid of the OpenFlow message in `b` (host order).
std::uint32_t xid_of(const ofpbuf& b) noexcept;

/// OVS's encoding of `message` (a FlowMod, GroupMod or MeterMod) for `version`, built
/// from libvtap's ovs-ofctl text of it by parse_ofp_flow_mod_str / parse_ofp_group_mod_str
/// / parse_ofp_meter_mod_str and ofputil_encode_*; the fields text does not carry
/// (cookie mask, timeouts, flags, out_group) are set on the parsed struct. The message
/// gets a fresh xid. Throws vtap::Error when OVS refuses the text (naming it and OVS's
/// reason) or for another message type.
Buffer encode(const openflow::Message& message, openflow::Version version);

/// `ovs-ofctl ofp-print` text of one message (ofp_to_string, verbosity 2).
std::string to_string(std::span<const std::uint8_t> message);

/// The error an OFPT_ERROR message carries, in libvtap's model: the OpenFlow 1.5 type and
/// code of OVS's decoded error (so bundle errors that 1.3 sends as ONF experimenter errors
/// read as in 1.5, as libvtap's own decoder reads them) and the payload.
openflow::ErrorMessage decode_error(const ofpbuf& message);

/// Decoders of multipart reply parts: every entry of one part, converted to libvtap's
/// model. Matches and actions cross over as the OXM/instruction bytes OVS writes for what
/// it decoded, read by libvtap's codec. Throw vtap::Error on what OVS cannot decode.
std::vector<openflow::FlowStats> decode_flow_stats(const ofpbuf& part, openflow::Version version);
std::vector<GroupEntry> decode_group_desc(const ofpbuf& part, openflow::Version version);
std::vector<MeterEntry> decode_meter_config(const ofpbuf& part);
std::vector<openflow::GroupStats> decode_group_stats(const ofpbuf& part);

/// Requests, encoded by OVS.
Buffer encode_features_request(openflow::Version version);
Buffer encode_barrier_request(openflow::Version version);
Buffer encode_flow_stats_request(openflow::Version version, std::uint64_t cookie, std::uint64_t cookie_mask);
Buffer encode_group_desc_request(openflow::Version version);
Buffer encode_group_stats_request(openflow::Version version);
Buffer encode_meter_config_request(openflow::Version version);

/// The datapath id of an OFPT_FEATURES_REPLY. Throws vtap::Error when it is not one.
std::uint64_t decode_datapath_id(const ofpbuf& reply);

/// Bundle messages, encoded by OVS: a bundle control request, and `message` (a flow or
/// group mod from encode(), whose xid it takes) added to bundle `bundle_id`.
Buffer encode_bundle_control(openflow::Version version, const openflow::BundleControl& control);
Buffer encode_bundle_add(openflow::Version version, std::uint32_t bundle_id, std::uint16_t flags, ofpbuf& message);
/// The bundle id and type of an OFPT_BUNDLE_CONTROL reply; nullopt when `b` is not a
/// well-formed one.
std::optional<openflow::BundleControl> decode_bundle_control(const ofpbuf& b) noexcept;

/// What kind of message `b` is.
enum class Kind { error, echo_request, barrier_reply, bundle_control, other };
Kind kind_of(const ofpbuf& b) noexcept;
/// True when `b` is a multipart reply with OFPMPF_REPLY_MORE.
bool more_follows(const ofpbuf& b) noexcept;
/// The echo reply for an echo request.
Buffer make_echo_reply(const ofpbuf& request);

}  // namespace vtap::ovs
