#pragma once
/// @file
/// The version-independent model of the OpenFlow messages libvtap sends and receives, and
/// their codec for OpenFlow 1.3, 1.4 and 1.5 (as Open vSwitch speaks them).
///
/// One struct per message, per-version wire layouts kept in the implementation (as OVS's
/// lib/ofp-*.c do). Encoding is a pure function of (message, version, xid); decoding checks
/// every length against the bytes it was given and throws DecodeError, carrying the
/// OpenFlow error a switch would answer with, on anything malformed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "libvtap/model/address.hpp"
#include "libvtap/model/flow.hpp"
#include "libvtap/openflow/actions.hpp"  // port_any (OFPP_ANY) and the other port constants.
#include "libvtap/openflow/error.hpp"
#include "libvtap/openflow/version.hpp"

namespace vtap::openflow {

/// OFPT_* message type numbers (the same in OpenFlow 1.3-1.5).
enum class MessageType : std::uint8_t {
  hello = 0,
  error = 1,
  echo_request = 2,
  echo_reply = 3,
  experimenter = 4,
  features_request = 5,
  features_reply = 6,
  port_status = 12,
  flow_mod = 14,
  group_mod = 15,
  multipart_request = 18,
  multipart_reply = 19,
  barrier_request = 20,
  barrier_reply = 21,
  meter_mod = 29,
  bundle_control = 33,      ///< OpenFlow 1.4+; an ONF experimenter message (EXT-230) in 1.3.
  bundle_add_message = 34,  ///< OpenFlow 1.4+; an ONF experimenter message (EXT-230) in 1.3.
};

inline constexpr std::uint32_t group_any = 0xffffffff;  ///< OFPG_ANY
inline constexpr std::uint32_t group_all = 0xfffffffc;  ///< OFPG_ALL
inline constexpr std::uint32_t meter_all = 0xffffffff;  ///< OFPM_ALL
inline constexpr std::uint8_t table_all = 0xff;         ///< OFPTT_ALL

/// OFPT_HELLO. `versions` is the version bitmap element; empty means none was sent.
struct Hello {
  std::vector<Version> versions;
  bool operator==(const Hello&) const = default;
};
/// OFPT_ERROR: the error and (a prefix of) the offending message.
///
/// Errors that OpenFlow 1.3 only has as ONF experimenter errors (the bundle errors
/// OFPBFC_* = ONF 2300-2315, OFPBIC_DUP_INST = ONF 2600) and OFPBAC_BAD_SET_MASK (ONF 4250
/// in 1.3/1.4) are written in that experimenter form and decoded back to their standard
/// code, as OVS does. Any other OFPET_EXPERIMENTER error decodes to
/// `code = {error_type::experimenter, exp_code}` with `experimenter` set.
struct ErrorMessage {
  ErrorCode code;
  std::vector<std::uint8_t> data;
  std::uint32_t experimenter = 0;  ///< Only for code.type == error_type::experimenter.
  bool operator==(const ErrorMessage&) const = default;
};
struct EchoRequest {
  std::vector<std::uint8_t> data;
  bool operator==(const EchoRequest&) const = default;
};
struct EchoReply {
  std::vector<std::uint8_t> data;
  bool operator==(const EchoReply&) const = default;
};
struct FeaturesRequest {
  bool operator==(const FeaturesRequest&) const = default;
};
struct FeaturesReply {
  std::uint64_t datapath_id = 0;
  std::uint32_t n_buffers = 0;
  std::uint8_t n_tables = 0;
  std::uint8_t auxiliary_id = 0;
  std::uint32_t capabilities = 0;
  bool operator==(const FeaturesReply&) const = default;
};
struct BarrierRequest {
  bool operator==(const BarrierRequest&) const = default;
};
struct BarrierReply {
  bool operator==(const BarrierReply&) const = default;
};

enum class FlowModCommand : std::uint8_t { add = 0, modify = 1, modify_strict = 2, delete_ = 3, delete_strict = 4 };

/// OFPT_FLOW_MOD. `rule.table` may be table_all for deletes only (encode throws, decode
/// answers OFPFMFC_BAD_TABLE_ID otherwise); buffer id is always none (decode answers
/// OFPBRC_BUFFER_UNKNOWN for any other). OpenFlow 1.4+ importance is written as 0 and
/// ignored when read.
struct FlowMod {
  FlowModCommand command = FlowModCommand::add;
  FlowRule rule;
  std::uint64_t cookie_mask = 0;  ///< For modify/delete: which cookie bits must match.
  std::uint16_t idle_timeout = 0;
  std::uint16_t hard_timeout = 0;
  std::uint16_t flags = 0;  ///< OFPFF_*.
  std::uint32_t out_port = port_any;
  std::uint32_t out_group = group_any;
  bool operator==(const FlowMod&) const = default;
};

enum class GroupModCommand : std::uint16_t { add = 0, modify = 1, delete_ = 2 };

/// OFPT_GROUP_MOD (OpenFlow 1.5 bucket ids kept; 1.3/1.4 have none on the wire and decoding
/// numbers buckets 0, 1, 2...). Buckets are written as OVS writes them: weight 1 in select
/// groups (0 otherwise), no watch port/group; 1.5 uses command_bucket_id OFPG_BUCKET_ALL.
/// Weights, watch ports and properties read from the wire are not kept. Decoding a delete
/// yields only its group_id (type all, no buckets), whatever else it carries.
struct GroupMod {
  GroupModCommand command = GroupModCommand::add;
  GroupEntry group;  ///< For delete only group_id is used (group_all deletes every group).
  bool operator==(const GroupMod&) const = default;
};

enum class MeterModCommand : std::uint16_t { add = 0, modify = 1, delete_ = 2 };

/// OFPT_METER_MOD with one drop band. Flags are OFPMF_KBPS or OFPMF_PKTPS, plus
/// OFPMF_BURST when `meter.burst` > 0; without OFPMF_BURST a band's burst_size is read as 0
/// (OVS reports it equal to the rate then). Decoding a delete yields only its meter_id.
struct MeterMod {
  MeterModCommand command = MeterModCommand::add;
  MeterEntry meter;  ///< For delete only meter_id is used (meter_all deletes every meter).
  bool operator==(const MeterMod&) const = default;
};

/// One switch port (ofp_port).
struct PortDesc {
  std::uint32_t port_no = 0;
  MacAddress hw_addr;
  std::string name;
  std::uint32_t config = 0;  ///< OFPPC_*.
  std::uint32_t state = 0;   ///< OFPPS_*.
  bool operator==(const PortDesc&) const = default;
};

/// OFPT_PORT_STATUS.
struct PortStatus {
  enum class Reason : std::uint8_t { add = 0, delete_ = 1, modify = 2 };
  Reason reason = Reason::add;
  PortDesc desc;
  bool operator==(const PortStatus&) const = default;
};

enum class BundleControlType : std::uint16_t {
  open_request = 0,
  open_reply = 1,
  close_request = 2,
  close_reply = 3,
  commit_request = 4,
  commit_reply = 5,
  discard_request = 6,
  discard_reply = 7,
};
inline constexpr std::uint16_t bundle_atomic = 1;   ///< OFPBF_ATOMIC
inline constexpr std::uint16_t bundle_ordered = 2;  ///< OFPBF_ORDERED

/// OFPT_BUNDLE_CONTROL (ONFT_BUNDLE_CONTROL in OpenFlow 1.3).
struct BundleControl {
  std::uint32_t bundle_id = 0;
  BundleControlType type = BundleControlType::open_request;
  std::uint16_t flags = 0;
  bool operator==(const BundleControl&) const = default;
};

/// OFPT_BUNDLE_ADD_MESSAGE (ONFT_BUNDLE_ADD_MESSAGE in OpenFlow 1.3): one modification,
/// sent inside the bundle with the xid of the enclosing message.
struct BundleAdd {
  std::uint32_t bundle_id = 0;
  std::uint16_t flags = 0;
  std::variant<FlowMod, GroupMod> message;
  bool operator==(const BundleAdd&) const = default;
};

/// Multipart request bodies (OFPMP_*).
struct FlowStatsRequest {
  std::uint8_t table = table_all;
  std::uint32_t out_port = port_any;
  std::uint32_t out_group = group_any;
  std::uint64_t cookie = 0;
  std::uint64_t cookie_mask = 0;
  Match match;
  bool operator==(const FlowStatsRequest&) const = default;
};
struct GroupStatsRequest {
  std::uint32_t group_id = group_all;
  bool operator==(const GroupStatsRequest&) const = default;
};
struct GroupDescRequest {
  std::uint32_t group_id = group_all;  ///< OpenFlow 1.5 only; 1.3/1.4 always return all.
  bool operator==(const GroupDescRequest&) const = default;
};
/// OpenFlow 1.5 carries a port_no: libvtap writes OFPP_ANY and ignores it when reading.
struct PortDescRequest {
  bool operator==(const PortDescRequest&) const = default;
};
struct MeterStatsRequest {
  std::uint32_t meter_id = meter_all;
  bool operator==(const MeterStatsRequest&) const = default;
};
/// OFPMP_METER_CONFIG (1.3/1.4) or OFPMP_METER_DESC (1.5).
struct MeterConfigRequest {
  std::uint32_t meter_id = meter_all;
  bool operator==(const MeterConfigRequest&) const = default;
};

/// Multipart reply items. In OpenFlow 1.5 a flow is an ofp_flow_desc whose counters are
/// OXS stats (duration, packet_count, byte_count; others are skipped). Durations of groups
/// and meters are not kept.
struct FlowStats {
  FlowRule rule;
  std::uint32_t duration_sec = 0;
  std::uint32_t duration_nsec = 0;
  std::uint16_t idle_timeout = 0;
  std::uint16_t hard_timeout = 0;
  std::uint16_t flags = 0;
  std::uint64_t packet_count = 0;
  std::uint64_t byte_count = 0;
  bool operator==(const FlowStats&) const = default;
};
struct Counter {
  std::uint64_t packet_count = 0;
  std::uint64_t byte_count = 0;
  bool operator==(const Counter&) const = default;
};
struct GroupStats {
  std::uint32_t group_id = 0;
  std::uint32_t ref_count = 0;
  Counter total;
  std::vector<Counter> buckets;  ///< In bucket order.
  bool operator==(const GroupStats&) const = default;
};
struct MeterStats {
  std::uint32_t meter_id = 0;
  std::uint32_t flow_count = 0;
  Counter input;
  std::vector<Counter> bands;
  bool operator==(const MeterStats&) const = default;
};

struct MultipartRequest {
  std::uint16_t flags = 0;  ///< OFPMPF_REQ_MORE
  std::variant<FlowStatsRequest, GroupStatsRequest, GroupDescRequest, PortDescRequest, MeterStatsRequest,
               MeterConfigRequest>
      body;
  bool operator==(const MultipartRequest&) const = default;
};
inline constexpr std::uint16_t multipart_more = 1;  ///< OFPMPF_REPLY_MORE / OFPMPF_REQ_MORE

struct MultipartReply {
  std::uint16_t flags = 0;  ///< multipart_more when more parts follow.
  std::variant<std::vector<FlowStats>, std::vector<GroupStats>, std::vector<GroupEntry>, std::vector<PortDesc>,
               std::vector<MeterStats>, std::vector<MeterEntry>>
      body;
  bool operator==(const MultipartReply&) const = default;
};

using Message = std::variant<Hello, ErrorMessage, EchoRequest, EchoReply, FeaturesRequest, FeaturesReply,
                             BarrierRequest, BarrierReply, FlowMod, GroupMod, MeterMod, PortStatus, BundleControl,
                             BundleAdd, MultipartRequest, MultipartReply>;

/// The fixed header of every message.
struct Header {
  std::uint8_t version = 0;  ///< Raw: a peer may speak a version we do not.
  std::uint8_t type = 0;
  std::uint16_t length = 0;
  std::uint32_t xid = 0;
};

/// A decoded message with its header.
struct Frame {
  Version version = Version::of15;
  std::uint32_t xid = 0;
  Message message;
};

/// Appends the encoding of `message` to `out`. Throws vtap::Error when the message cannot
/// be expressed in `version` (e.g. a MeterAction inside a group bucket before 1.5).
void encode(const Message& message, Version version, std::uint32_t xid, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const Message& message, Version version, std::uint32_t xid);
/// Appends what encode(BundleAdd{bundle_id, flags, inner}, ...) would, without copying
/// `inner` (a FlowMod or GroupMod) into a BundleAdd first.
void encode_bundle_add(std::uint32_t bundle_id, std::uint16_t flags, const Message& inner, Version version,
                       std::uint32_t xid, std::vector<std::uint8_t>& out);

/// Reads the header at the start of `bytes` (at least 8 bytes). Throws DecodeError
/// (OFPBRC_BAD_LEN) when the length field is below 8.
Header decode_header(std::span<const std::uint8_t> bytes);

/// Decodes exactly one message: `bytes.size()` must equal the header's length. Throws
/// DecodeError: OFPBRC_BAD_VERSION for a version other than 1.3-1.5, OFPBRC_BAD_TYPE for a
/// type this model lacks, OFPBRC_BAD_LEN and the body's own errors for malformed input.
Frame decode(std::span<const std::uint8_t> bytes);

/// Name of the message type, e.g. "OFPT_FLOW_MOD", for logs and errors.
std::string_view type_name(const Message& message) noexcept;

/// Version negotiation (OpenFlow 1.5.1 §7.1.1): the highest of 1.3-1.5 that both we and the
/// peer whose OFPT_HELLO is `peer_hello` speak, or nullopt when there is none. Works for a
/// HELLO of any header version (unlike decode, which takes only 1.3-1.5): with a version
/// bitmap the bitmap decides, without one the header version is the peer's highest.
/// Throws DecodeError for a message that is not a well-formed HELLO.
std::optional<Version> negotiate_version(std::span<const std::uint8_t> peer_hello);

}  // namespace vtap::openflow
