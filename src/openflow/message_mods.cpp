// FLOW_MOD, GROUP_MOD and METER_MOD, and the group buckets and meter bands that the
// multipart replies share with them.

#include <set>
#include <string>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/actions.hpp"
#include "libvtap/openflow/instructions.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "message_wire.hpp"

namespace vtap::openflow::wire {
namespace {

bool is_delete(FlowModCommand c) noexcept { return c == FlowModCommand::delete_ || c == FlowModCommand::delete_strict; }

// OpenFlow 1.3/1.4 bucket (ofp_bucket): len, weight, watch_port, watch_group, pad[4].
constexpr std::size_t kBucket13Size = 16;
// OpenFlow 1.5 bucket (ofp_bucket): len, action_array_len, bucket_id.
constexpr std::size_t kBucket15Size = 8;
// OpenFlow 1.5 bucket properties (OFPGBPT_*).
constexpr std::uint16_t kBucketPropWeight = 0;
constexpr std::uint16_t kBucketPropWatchPort = 1;
constexpr std::uint16_t kBucketPropWatchGroup = 2;

// Meter flags and bands (OpenFlow 1.5.1 §7.3.4.5).
constexpr std::uint16_t kMeterKbps = 1;
constexpr std::uint16_t kMeterPktps = 2;
constexpr std::uint16_t kMeterBurst = 4;
constexpr std::uint16_t kMeterStats = 8;
constexpr std::uint16_t kBandDrop = 1;
constexpr std::uint16_t kBandSize = 16;

// Select groups balance by weight: OVS gives every bucket weight 1 when none is said (and
// 0, "unused", in the other group types), so libvtap writes the same.
std::uint16_t bucket_weight(GroupType type) noexcept { return type == GroupType::select ? 1 : 0; }

void encode_bucket13(const Bucket& bucket, GroupType type, Version version, Writer& out) {
  const std::size_t start = out.size();
  out.u16(0);  // Length, patched below.
  out.u16(bucket_weight(type));
  out.u32(port_any);   // watch_port
  out.u32(group_any);  // watch_group
  out.zeros(4);
  encode_actions(bucket.actions, version, out);
  out.patch_length(start, start);
}

void encode_bucket15(const Bucket& bucket, GroupType type, Writer& out) {
  if (bucket.bucket_id > bucket_max) {
    throw Error("bucket id " + std::to_string(bucket.bucket_id) + " is above OFPG_BUCKET_MAX");
  }
  const std::size_t start = out.size();
  out.u16(0);  // Length, patched below.
  out.u16(0);  // Action array length, patched below.
  out.u32(bucket.bucket_id);
  encode_actions(bucket.actions, Version::of15, out);
  out.patch_length(start + 2, start + kBucket15Size);
  if (type == GroupType::select) {
    out.u16(kBucketPropWeight);
    out.u16(8);
    out.u16(bucket_weight(type));
    out.zeros(2);
  }
  out.patch_length(start, start);
}

// Checks the lengths of a property list and skips every property: libvtap's model keeps
// neither weights nor watch ports, and unknown properties are ignored as OVS does.
void skip_bucket_properties(Reader& props) {
  while (!props.empty()) {
    if (props.remaining() < 4) props.fail(errors::gmfc_bad_bucket, "truncated bucket property");
    const std::uint16_t type = props.u16();
    const std::uint16_t length = props.u16();
    if (length < 4 || pad8(length) - 4 > props.remaining()) {
      props.fail(errors::gmfc_bad_bucket, "bucket property length " + std::to_string(length) + " is below 4 or past the bucket");
    }
    if ((type == kBucketPropWeight || type == kBucketPropWatchPort || type == kBucketPropWatchGroup) && length != 8) {
      props.fail(errors::gmfc_bad_bucket, "bucket property " + std::to_string(type) + " has length " +
                                              std::to_string(length) + ", expected 8");
    }
    props.skip(pad8(length) - 4);
  }
}

// A bucket's actions, or with `references` only its group and meter actions (a group of
// another controller's that libvtap's model cannot hold).
std::vector<Action> bucket_actions(Reader& b, std::size_t length, Version version, bool references) {
  return references ? decode_action_references(b, length, version) : decode_actions(b, length, version);
}

Bucket decode_bucket13(Reader& in, std::uint32_t id, Version version, bool references) {
  if (in.remaining() < kBucket13Size) in.fail(errors::gmfc_bad_bucket, "truncated bucket");
  const std::uint16_t length = in.peek_u16();
  if (length < kBucket13Size || length % 8 != 0 || length > in.remaining()) {
    in.fail(errors::gmfc_bad_bucket, "bucket length " + std::to_string(length) +
                                         " is below 16, not a multiple of 8, or past the buckets");
  }
  Reader b = in.sub(length, errors::gmfc_bad_bucket);
  b.skip(kBucket13Size);  // Weight and watch port/group: not in libvtap's model.
  return Bucket{id, bucket_actions(b, b.remaining(), version, references)};
}

Bucket decode_bucket15(Reader& in, bool references) {
  if (in.remaining() < kBucket15Size) in.fail(errors::gmfc_bad_bucket, "truncated bucket");
  const std::uint16_t length = in.peek_u16();
  if (length < kBucket15Size || length % 8 != 0 || length > in.remaining()) {
    in.fail(errors::gmfc_bad_bucket, "bucket length " + std::to_string(length) +
                                         " is below 8, not a multiple of 8, or past the buckets");
  }
  Reader b = in.sub(length, errors::gmfc_bad_bucket);
  b.skip(2);
  const std::uint16_t actions_length = b.u16();
  Bucket bucket;
  bucket.bucket_id = b.u32();
  if (bucket.bucket_id > bucket_max) {
    b.fail(errors::gmfc_bad_bucket, "bucket id " + std::to_string(bucket.bucket_id) + " is above OFPG_BUCKET_MAX");
  }
  if (actions_length % 8 != 0 || actions_length > b.remaining()) {
    b.fail(errors::gmfc_bad_bucket, "bucket action array length " + std::to_string(actions_length) +
                                        " is not a multiple of 8 or past the bucket");
  }
  bucket.actions = bucket_actions(b, actions_length, Version::of15, references);
  skip_bucket_properties(b);
  return bucket;
}

void check_group_id(std::uint32_t group_id, bool is_delete, Reader* in) {
  if (group_id <= group_max || (is_delete && group_id == group_all)) return;
  const std::string detail = "group id " + std::to_string(group_id) + " is reserved";
  if (in) in->fail(errors::gmfc_invalid_group, detail);
  throw Error(detail);
}

void check_meter_id(std::uint32_t meter_id, bool is_delete, Reader* in) {
  if ((meter_id != 0 && meter_id <= meter_max) || (is_delete && meter_id == meter_all)) return;
  const std::string detail = "meter id " + std::to_string(meter_id) + " is not a valid meter";
  if (in) in->fail(errors::mmfc_invalid_meter, detail);
  throw Error(detail);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// FLOW_MOD (ofp_flow_mod; OpenFlow 1.4 turned the padding after flags into importance).

void encode_flow_mod(const FlowMod& m, Version version, Writer& out) {
  if (m.rule.table == table_all && !is_delete(m.command)) {
    throw Error("table 255 (OFPTT_ALL) is only valid in a delete");
  }
  out.u64(m.rule.cookie);
  out.u64(m.cookie_mask);
  out.u8(m.rule.table);
  out.u8(static_cast<std::uint8_t>(m.command));
  out.u16(m.idle_timeout);
  out.u16(m.hard_timeout);
  out.u16(m.rule.priority);
  out.u32(no_buffer);
  out.u32(m.out_port);
  out.u32(m.out_group);
  out.u16(m.flags);
  out.u16(0);  // Padding (1.3) or importance 0 (1.4+).
  encode_match(m.rule.match, version, out);
  encode_instructions(m.rule.actions, version, out);
}

FlowMod decode_flow_mod(Reader& body, Version version) {
  FlowMod m;
  m.rule.cookie = body.u64();
  m.cookie_mask = body.u64();
  m.rule.table = body.u8();
  const std::uint8_t command = body.u8();
  if (command > static_cast<std::uint8_t>(FlowModCommand::delete_strict)) {
    body.fail(errors::fmfc_bad_command, "flow mod command " + std::to_string(command) + " is unknown");
  }
  m.command = static_cast<FlowModCommand>(command);
  m.idle_timeout = body.u16();
  m.hard_timeout = body.u16();
  m.rule.priority = body.u16();
  if (const std::uint32_t buffer_id = body.u32(); buffer_id != no_buffer) {
    body.fail(errors::brc_buffer_unknown, "buffer id " + std::to_string(buffer_id) + ": libvtap never buffers packets");
  }
  m.out_port = body.u32();
  m.out_group = body.u32();
  m.flags = body.u16();
  body.skip(2);  // Padding (1.3) or importance (1.4+, which libvtap's model leaves at 0).
  if (m.rule.table == table_all && !is_delete(m.command)) {
    body.fail(errors::fmfc_bad_table_id, "table 255 (OFPTT_ALL) in a flow mod that is not a delete");
  }
  m.rule.match = decode_match(body);
  m.rule.actions = decode_instructions(body, body.remaining(), version);
  return m;
}

// ---------------------------------------------------------------------------------------
// GROUP_MOD

void encode_buckets(const GroupEntry& group, Version version, Writer& out) {
  if (version == Version::of15) {
    std::set<std::uint32_t> ids;
    for (const Bucket& b : group.buckets) {
      if (!ids.insert(b.bucket_id).second) {
        throw Error("group " + std::to_string(group.group_id) + " has bucket id " + std::to_string(b.bucket_id) + " twice");
      }
      encode_bucket15(b, group.type, out);
    }
  } else {
    for (const Bucket& b : group.buckets) encode_bucket13(b, group.type, version, out);
  }
}

std::vector<Bucket> decode_buckets(Reader& in, Version version, bool references) {
  std::vector<Bucket> buckets;
  std::set<std::uint32_t> ids;
  while (!in.empty()) {
    if (version != Version::of15) {
      buckets.push_back(decode_bucket13(in, static_cast<std::uint32_t>(buckets.size()), version, references));
      continue;
    }
    buckets.push_back(decode_bucket15(in, references));
    if (!ids.insert(buckets.back().bucket_id).second) {
      // OVS answers BAD_BUCKET too (BUCKET_EXISTS is for insert-bucket commands).
      in.fail(errors::gmfc_bad_bucket, "bucket id " + std::to_string(buckets.back().bucket_id) + " appears twice");
    }
  }
  return buckets;
}

GroupType decode_group_type(Reader& in) {
  const std::uint8_t type = in.u8();
  if (type > static_cast<std::uint8_t>(GroupType::fast_failover)) {
    in.fail(errors::gmfc_bad_type, "group type " + std::to_string(type) + " is unknown");
  }
  return static_cast<GroupType>(type);
}

void encode_group_mod(const GroupMod& m, Version version, Writer& out) {
  const bool is_delete = m.command == GroupModCommand::delete_;
  check_group_id(m.group.group_id, is_delete, nullptr);
  out.u16(static_cast<std::uint16_t>(m.command));
  // A delete names only the group, as `ovs-ofctl del-groups` writes it.
  out.u8(is_delete ? 0 : static_cast<std::uint8_t>(m.group.type));
  out.u8(0);
  out.u32(m.group.group_id);
  if (version == Version::of15) {
    const std::size_t start = out.size();
    out.u16(0);  // bucket_array_len, patched below.
    out.zeros(2);
    out.u32(bucket_all);  // command_bucket_id: OVS writes OFPG15_BUCKET_ALL for add/modify/delete.
    if (!is_delete) encode_buckets(m.group, version, out);
    out.patch_length(start, start + 8);
  } else if (!is_delete) {
    encode_buckets(m.group, version, out);
  }
}

GroupMod decode_group_mod(Reader& body, Version version) {
  GroupMod m;
  const std::uint16_t command = body.u16();
  // OpenFlow 1.5's insert-bucket and remove-bucket (3, 4) are not in libvtap's model.
  if (command > static_cast<std::uint16_t>(GroupModCommand::delete_)) {
    body.fail(errors::gmfc_bad_command, "group mod command " + std::to_string(command) + " is not supported");
  }
  m.command = static_cast<GroupModCommand>(command);
  const bool is_delete = m.command == GroupModCommand::delete_;
  const GroupType type = decode_group_type(body);
  body.skip(1);
  m.group.group_id = body.u32();
  check_group_id(m.group.group_id, is_delete, &body);
  Reader buckets = body;
  if (version == Version::of15) {
    const std::uint16_t buckets_length = body.u16();
    body.skip(2);
    body.skip(4);  // command_bucket_id: meaningful only for insert/remove bucket.
    if (buckets_length > body.remaining()) {
      body.fail(errors::gmfc_bad_bucket, "bucket array length " + std::to_string(buckets_length) + " is past the message");
    }
    buckets = body.sub(buckets_length, errors::gmfc_bad_bucket);
    skip_bucket_properties(body);  // Group properties (e.g. OVS's selection method).
  } else {
    buckets = body.sub(body.remaining(), errors::gmfc_bad_bucket);
  }
  // A delete names only the group (OVS writes no type and no buckets); whatever else it
  // carries is not part of the command.
  if (!is_delete) {
    m.group.type = type;
    m.group.buckets = decode_buckets(buckets, version);
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// METER_MOD

std::uint16_t meter_flags(const MeterEntry& meter) {
  std::uint16_t flags = meter.unit == MeterEntry::Unit::kbps ? kMeterKbps : kMeterPktps;
  if (meter.burst > 0) flags |= kMeterBurst;
  return flags;
}

void encode_meter_band(const MeterEntry& meter, Writer& out) {
  out.u16(kBandDrop);
  out.u16(kBandSize);
  out.u32(meter.rate);
  out.u32(meter.burst);
  out.zeros(4);
}

MeterEntry decode_meter(std::uint32_t meter_id, std::uint16_t flags, Reader& bands) {
  MeterEntry meter;
  meter.meter_id = meter_id;
  const std::uint16_t unit = flags & (kMeterKbps | kMeterPktps);
  if ((flags & ~(kMeterKbps | kMeterPktps | kMeterBurst | kMeterStats)) != 0 || (unit != kMeterKbps && unit != kMeterPktps)) {
    bands.fail(errors::mmfc_bad_flags, "meter flags " + std::to_string(flags) +
                                           " do not name exactly one of kbps and pktps, or have unknown bits");
  }
  meter.unit = unit == kMeterKbps ? MeterEntry::Unit::kbps : MeterEntry::Unit::pktps;
  if (bands.remaining() < 4) bands.fail(errors::mmfc_bad_band, "libvtap meters have exactly one drop band, this has none");
  const std::uint16_t type = bands.u16();
  const std::uint16_t length = bands.u16();
  if (length != kBandSize || length - 4U > bands.remaining()) {
    bands.fail(errors::brc_bad_len, "meter band length " + std::to_string(length) + " is not 16 or past the meter");
  }
  if (type != kBandDrop) bands.fail(errors::mmfc_bad_band, "meter band type " + std::to_string(type) + " is not drop");
  meter.rate = bands.u32();
  const std::uint32_t burst = bands.u32();
  bands.skip(4);
  // Without OFPMF_BURST the burst size means nothing (OVS then reports it equal to rate).
  meter.burst = (flags & kMeterBurst) != 0 ? burst : 0;
  if (!bands.empty()) bands.fail(errors::mmfc_bad_band, "libvtap meters have exactly one drop band, this has more");
  return meter;
}

void encode_meter_mod(const MeterMod& m, Version, Writer& out) {
  const bool is_delete = m.command == MeterModCommand::delete_;
  check_meter_id(m.meter.meter_id, is_delete, nullptr);
  out.u16(static_cast<std::uint16_t>(m.command));
  out.u16(is_delete ? 0 : meter_flags(m.meter));
  out.u32(m.meter.meter_id);
  if (!is_delete) encode_meter_band(m.meter, out);
}

MeterMod decode_meter_mod(Reader& body, Version) {
  MeterMod m;
  const std::uint16_t command = body.u16();
  if (command > static_cast<std::uint16_t>(MeterModCommand::delete_)) {
    body.fail(errors::mmfc_bad_command, "meter mod command " + std::to_string(command) + " is unknown");
  }
  m.command = static_cast<MeterModCommand>(command);
  const std::uint16_t flags = body.u16();
  const std::uint32_t meter_id = body.u32();
  const bool is_delete = m.command == MeterModCommand::delete_;
  check_meter_id(meter_id, is_delete, &body);
  if (is_delete) {
    m.meter.meter_id = meter_id;  // A delete names only the meter, as OVS writes it.
    body.skip(body.remaining());
  } else {
    m.meter = decode_meter(meter_id, flags, body);
  }
  return m;
}

}  // namespace vtap::openflow::wire
