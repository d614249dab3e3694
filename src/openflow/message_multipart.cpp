// OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY for flows, groups, ports and meters.
//
// OpenFlow 1.5 renamed OFPMP_FLOW (1) to OFPMP_FLOW_DESC, with a new reply layout
// (ofp_flow_desc, counters as OXS stats), and OFPMP_METER_CONFIG (10) to OFPMP_METER_DESC
// with the same layout; `ovs-ofctl dump-flows` uses type 1 in every version.

#include <string>
#include <type_traits>

#include "libvtap/model/error.hpp"
#include "libvtap/model/ownership.hpp"
#include "libvtap/openflow/instructions.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "message_wire.hpp"

namespace vtap::openflow::wire {
namespace {

enum MultipartType : std::uint16_t {
  kFlow = 1,         // OFPMP_FLOW (1.3/1.4), OFPMP_FLOW_DESC (1.5)
  kGroup = 6,        // OFPMP_GROUP (1.3/1.4), OFPMP_GROUP_STATS (1.5)
  kGroupDesc = 7,    // OFPMP_GROUP_DESC
  kMeter = 9,        // OFPMP_METER (1.3/1.4), OFPMP_METER_STATS (1.5)
  kMeterConfig = 10, // OFPMP_METER_CONFIG (1.3/1.4), OFPMP_METER_DESC (1.5)
  kPortDesc = 13,    // OFPMP_PORT_DESC
};

constexpr std::size_t kFlowStats13Size = 48;   // ofp_flow_stats before the match.
constexpr std::size_t kFlowDesc15Size = 24;    // ofp_flow_desc before the match.
constexpr std::size_t kGroupStatsSize = 40;    // ofp_group_stats before the bucket counters.
constexpr std::size_t kMeterStatsSize = 40;    // ofp_meter_stats before the band counters.
constexpr std::size_t kCounterSize = 16;       // ofp_bucket_counter, ofp_meter_band_stats.

// OXS (OpenFlow 1.5.1 §7.2.4): flow counters in ofp_stats.
constexpr std::uint16_t kOxsClassBasic = 0x8002;  // OFPXSC_OPENFLOW_BASIC
enum OxsField : std::uint8_t { kOxsDuration = 0, kOxsIdleTime = 1, kOxsFlowCount = 3, kOxsPacketCount = 4, kOxsByteCount = 5 };

void put_oxs(OxsField field, std::uint64_t value, Writer& out) {
  out.u16(kOxsClassBasic);
  out.u8(static_cast<std::uint8_t>(field << 1));
  out.u8(8);
  out.u64(value);
}

// The sub-reader over one reply item whose u16 length is `length_offset` bytes in.
Reader item(Reader& in, std::size_t min_size, std::size_t length_offset, const char* what) {
  if (in.remaining() < min_size) in.fail(errors::brc_bad_len, std::string("truncated ") + what);
  const std::uint16_t length = in.peek_u16(length_offset);
  if (length < min_size || length > in.remaining()) {
    in.fail(errors::brc_bad_len, std::string(what) + " length " + std::to_string(length) + " is below " +
                                     std::to_string(min_size) + " or past the message");
  }
  return in.sub(length);
}

std::vector<Counter> decode_counters(Reader& in, const char* what) {
  if (in.remaining() % kCounterSize != 0) {
    in.fail(errors::brc_bad_len, std::string(what) + " counters of " + std::to_string(in.remaining()) +
                                     " bytes are not a multiple of 16");
  }
  std::vector<Counter> counters;
  while (!in.empty()) {
    Counter c;
    c.packet_count = in.u64();
    c.byte_count = in.u64();
    counters.push_back(c);
  }
  return counters;
}

void encode_counter(const Counter& c, Writer& out) {
  out.u64(c.packet_count);
  out.u64(c.byte_count);
}

// ---------------------------------------------------------------------------------------
// Requests

void encode_request_body(const FlowStatsRequest& r, Version version, Writer& out) {
  out.u8(r.table);
  out.zeros(3);
  out.u32(r.out_port);
  out.u32(r.out_group);
  out.zeros(4);
  out.u64(r.cookie);
  out.u64(r.cookie_mask);
  encode_match(r.match, version, out);
}
void encode_id_request(std::uint32_t id, Writer& out) {
  out.u32(id);
  out.zeros(4);
}

std::uint16_t request_type(const MultipartRequest& m) {
  return std::visit(
      [](const auto& r) -> std::uint16_t {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, FlowStatsRequest>) return kFlow;
        if constexpr (std::is_same_v<T, GroupStatsRequest>) return kGroup;
        if constexpr (std::is_same_v<T, GroupDescRequest>) return kGroupDesc;
        if constexpr (std::is_same_v<T, PortDescRequest>) return kPortDesc;
        if constexpr (std::is_same_v<T, MeterStatsRequest>) return kMeter;
        return kMeterConfig;
      },
      m.body);
}

std::uint32_t decode_id_request(Reader& body) {
  const std::uint32_t id = body.u32();
  body.skip(4);
  return id;
}

// ---------------------------------------------------------------------------------------
// Reply items

void encode_item(const FlowStats& s, Version version, Writer& out) {
  const std::size_t start = out.size();
  out.u16(0);  // Length, patched below.
  if (version == Version::of15) {
    out.zeros(2);
    out.u8(s.rule.table);
    out.u8(0);
    out.u16(s.rule.priority);
    out.u16(s.idle_timeout);
    out.u16(s.hard_timeout);
    out.u16(s.flags);
    out.u16(0);  // importance
    out.u64(s.rule.cookie);
    encode_match(s.rule.match, version, out);
    const std::size_t stats = out.size();
    out.u16(0);  // reserved
    out.u16(0);  // Length, patched below.
    put_oxs(kOxsDuration, std::uint64_t{s.duration_sec} << 32 | s.duration_nsec, out);
    put_oxs(kOxsPacketCount, s.packet_count, out);
    put_oxs(kOxsByteCount, s.byte_count, out);
    out.patch_length(stats + 2, stats);
    out.pad_to_8(stats);
  } else {
    out.u8(s.rule.table);
    out.u8(0);
    out.u32(s.duration_sec);
    out.u32(s.duration_nsec);
    out.u16(s.rule.priority);
    out.u16(s.idle_timeout);
    out.u16(s.hard_timeout);
    out.u16(s.flags);
    out.zeros(4);  // Padding (1.3) or importance and padding (1.4).
    out.u64(s.rule.cookie);
    out.u64(s.packet_count);
    out.u64(s.byte_count);
    encode_match(s.rule.match, version, out);
  }
  encode_instructions(s.rule.actions, version, out);
  out.patch_length(start, start);
}

// ofp_stats: the OXS counters of a flow (OpenFlow 1.5). Unknown OXS fields are skipped.
void decode_oxs_stats(Reader& in, FlowStats& s) {
  if (in.remaining() < 4) in.fail(errors::brc_bad_len, "truncated ofp_stats");
  in.skip(2);  // reserved
  const std::uint16_t length = in.u16();
  if (length < 4 || pad8(length) - 4 > in.remaining()) {
    in.fail(errors::brc_bad_len, "ofp_stats length " + std::to_string(length) + " is below 4 or past the flow");
  }
  Reader oxs = in.sub(length - 4U);
  in.skip_padding(length);
  while (!oxs.empty()) {
    const std::uint16_t oxs_class = oxs.u16();
    const std::uint8_t field = oxs.u8() >> 1;
    const std::uint8_t size = oxs.u8();
    Reader value = oxs.sub(size);
    if (oxs_class != kOxsClassBasic || field == kOxsIdleTime || field == kOxsFlowCount) continue;
    if (field != kOxsDuration && field != kOxsPacketCount && field != kOxsByteCount) continue;
    if (size != 8) value.fail(errors::brc_bad_len, "OXS field " + std::to_string(field) + " has length " + std::to_string(size));
    const std::uint64_t v = value.u64();
    if (field == kOxsDuration) {
      s.duration_sec = static_cast<std::uint32_t>(v >> 32);
      s.duration_nsec = static_cast<std::uint32_t>(v);
    } else if (field == kOxsPacketCount) {
      s.packet_count = v;
    } else {
      s.byte_count = v;
    }
  }
}

void skip_match(Reader& in) {
  if (in.remaining() < 4) in.fail(errors::bmc_bad_len, "truncated match header");
  Reader header = in;
  header.skip(2);
  const std::uint16_t length = header.u16();
  if (length < 4 || pad8(length) > in.remaining())
    in.fail(errors::bmc_bad_len, "match length " + std::to_string(length) + " is below 4 or past the entry");
  in.skip(pad8(length));
}

FlowStats decode_flow_stats(Reader& in, Version version) {
  const bool of15 = version == Version::of15;
  Reader r = item(in, of15 ? kFlowDesc15Size : kFlowStats13Size, 0, "flow stats entry");
  FlowStats s;
  r.skip(2);  // length
  if (of15) {
    r.skip(2);
    s.rule.table = r.u8();
    r.skip(1);
    s.rule.priority = r.u16();
    s.idle_timeout = r.u16();
    s.hard_timeout = r.u16();
    s.flags = r.u16();
    r.skip(2);  // importance
    s.rule.cookie = r.u64();
  } else {
    s.rule.table = r.u8();
    r.skip(1);
    s.duration_sec = r.u32();
    s.duration_nsec = r.u32();
    s.rule.priority = r.u16();
    s.idle_timeout = r.u16();
    s.hard_timeout = r.u16();
    s.flags = r.u16();
    r.skip(4);
    s.rule.cookie = r.u64();
    s.packet_count = r.u64();
    s.byte_count = r.u64();
  }
  const Reader rest = r;
  try {
    s.rule.match = decode_match(r);
    if (of15) decode_oxs_stats(r, s);
    s.rule.actions = decode_instructions(r, r.remaining(), version);
  } catch (const DecodeError&) {
    // A rule of libvtap's must decode whole; another controller's comes back with what
    // libvtap needs of it: an empty match and the group and meter actions it uses.
    if (is_libvtap_cookie(s.rule.cookie)) throw;
    r = rest;
    skip_match(r);
    if (of15) decode_oxs_stats(r, s);
    s.rule.match = Match{};
    s.rule.actions = decode_instruction_references(r, r.remaining(), version);
  }
  return s;
}

void encode_item(const GroupStats& s, Version, Writer& out) {
  const std::size_t start = out.size();
  out.u16(0);  // Length, patched below.
  out.zeros(2);
  out.u32(s.group_id);
  out.u32(s.ref_count);
  out.zeros(4);
  encode_counter(s.total, out);
  out.zeros(8);  // duration: not in libvtap's model.
  for (const Counter& c : s.buckets) encode_counter(c, out);
  out.patch_length(start, start);
}

GroupStats decode_group_stats(Reader& in, Version) {
  Reader r = item(in, kGroupStatsSize, 0, "group stats entry");
  GroupStats s;
  r.skip(4);
  s.group_id = r.u32();
  s.ref_count = r.u32();
  r.skip(4);
  s.total.packet_count = r.u64();
  s.total.byte_count = r.u64();
  r.skip(8);  // duration
  s.buckets = decode_counters(r, "bucket");
  return s;
}

void encode_item(const GroupEntry& g, Version version, Writer& out) {
  const std::size_t start = out.size();
  out.u16(0);  // Length, patched below.
  out.u8(static_cast<std::uint8_t>(g.type));
  out.u8(0);
  out.u32(g.group_id);
  if (version == Version::of15) {
    out.u16(0);  // bucket_array_len, patched below.
    out.zeros(6);
    encode_buckets(g, version, out);
    out.patch_length(start + 8, start + 16);
  } else {
    encode_buckets(g, version, out);
  }
  out.patch_length(start, start);
}

// A group's buckets; when the model cannot hold them (another controller's actions), each
// bucket with only the group and meter actions it uses.
std::vector<Bucket> decode_buckets_or_references(Reader in, Version version) {
  const Reader all = in;
  try {
    return decode_buckets(in, version);
  } catch (const DecodeError&) {
  }
  Reader again = all;
  return decode_buckets(again, version, true);
}

GroupEntry decode_group_desc(Reader& in, Version version) {
  const bool of15 = version == Version::of15;
  Reader r = item(in, of15 ? 16 : 8, 0, "group description");
  GroupEntry g;
  r.skip(2);
  g.type = decode_group_type(r);
  r.skip(1);
  g.group_id = r.u32();
  if (of15) {
    const std::uint16_t buckets_length = r.u16();
    r.skip(6);
    if (buckets_length > r.remaining()) {
      r.fail(errors::gmfc_bad_bucket, "bucket array length " + std::to_string(buckets_length) + " is past the group");
    }
    Reader buckets = r.sub(buckets_length, errors::gmfc_bad_bucket);
    g.buckets = decode_buckets_or_references(buckets, version);
    // Group properties (OVS's selection method) are not in libvtap's model; only their
    // lengths were checked by the item reader.
  } else {
    g.buckets = decode_buckets_or_references(r, version);
  }
  return g;
}

void encode_item(const PortDesc& p, Version version, Writer& out) { encode_port(p, version, out); }

void encode_item(const MeterStats& s, Version, Writer& out) {
  const std::size_t start = out.size();
  out.u32(s.meter_id);
  out.u16(0);  // Length, patched below.
  out.zeros(6);
  out.u32(s.flow_count);
  encode_counter(s.input, out);
  out.zeros(8);  // duration: not in libvtap's model.
  for (const Counter& c : s.bands) encode_counter(c, out);
  out.patch_length(start + 4, start);
}

MeterStats decode_meter_stats(Reader& in, Version) {
  Reader r = item(in, kMeterStatsSize, 4, "meter stats entry");
  MeterStats s;
  s.meter_id = r.u32();
  r.skip(8);  // length, padding
  s.flow_count = r.u32();
  s.input.packet_count = r.u64();
  s.input.byte_count = r.u64();
  r.skip(8);  // duration
  s.bands = decode_counters(r, "meter band");
  return s;
}

void encode_item(const MeterEntry& m, Version, Writer& out) {
  const std::size_t start = out.size();
  out.u16(0);  // Length, patched below.
  out.u16(meter_flags(m));
  out.u32(m.meter_id);
  encode_meter_band(m, out);
  out.patch_length(start, start);
}

MeterEntry decode_meter_config(Reader& in, Version) {
  Reader r = item(in, 8, 0, "meter configuration");
  r.skip(2);
  const std::uint16_t flags = r.u16();
  const std::uint32_t meter_id = r.u32();
  return decode_meter(meter_id, flags, r);
}

template <typename T>
std::vector<T> decode_items(Reader& body, Version version, T (*one)(Reader&, Version)) {
  std::vector<T> items;
  while (!body.empty()) items.push_back(one(body, version));
  return items;
}

std::uint16_t reply_type(const MultipartReply& m) {
  constexpr std::uint16_t kTypes[] = {kFlow, kGroup, kGroupDesc, kPortDesc, kMeter, kMeterConfig};
  static_assert(std::size(kTypes) == std::variant_size_v<decltype(m.body)>);
  return kTypes[m.body.index()];
}

}  // namespace

void encode_multipart_request(const MultipartRequest& m, Version version, Writer& out) {
  out.u16(request_type(m));
  out.u16(m.flags);
  out.zeros(4);
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, FlowStatsRequest>) {
          encode_request_body(r, version, out);
        } else if constexpr (std::is_same_v<T, GroupDescRequest>) {
          // OpenFlow 1.3/1.4 have no body and always describe every group.
          if (version == Version::of15) encode_id_request(r.group_id, out);
        } else if constexpr (std::is_same_v<T, PortDescRequest>) {
          if (version == Version::of15) encode_id_request(port_any, out);  // OpenFlow 1.5: port_no.
        } else if constexpr (std::is_same_v<T, GroupStatsRequest>) {
          encode_id_request(r.group_id, out);
        } else {
          encode_id_request(r.meter_id, out);
        }
      },
      m.body);
}

MultipartRequest decode_multipart_request(Reader& body, Version version) {
  MultipartRequest m;
  const std::uint16_t type = body.u16();
  m.flags = body.u16();
  body.skip(4);
  const bool of15 = version == Version::of15;
  switch (type) {
    case kFlow: {
      FlowStatsRequest r;
      r.table = body.u8();
      body.skip(3);
      r.out_port = body.u32();
      r.out_group = body.u32();
      body.skip(4);
      r.cookie = body.u64();
      r.cookie_mask = body.u64();
      r.match = decode_match(body);
      m.body = r;
      break;
    }
    case kGroup: m.body = GroupStatsRequest{decode_id_request(body)}; break;
    case kGroupDesc: m.body = GroupDescRequest{of15 ? decode_id_request(body) : group_all}; break;
    case kPortDesc:
      if (of15) decode_id_request(body);  // port_no: libvtap always asks for every port.
      m.body = PortDescRequest{};
      break;
    case kMeter: m.body = MeterStatsRequest{decode_id_request(body)}; break;
    case kMeterConfig: m.body = MeterConfigRequest{decode_id_request(body)}; break;
    default:
      body.fail(errors::brc_bad_multipart, "multipart type " + std::to_string(type) + " is not supported");
  }
  expect_end(body, "multipart request");
  return m;
}

void encode_multipart_reply(const MultipartReply& m, Version version, Writer& out) {
  out.u16(reply_type(m));
  out.u16(m.flags);
  out.zeros(4);
  std::visit([&](const auto& items) {
    for (const auto& i : items) encode_item(i, version, out);
  }, m.body);
}

MultipartReply decode_multipart_reply(Reader& body, Version version) {
  MultipartReply m;
  const std::uint16_t type = body.u16();
  m.flags = body.u16();
  body.skip(4);
  switch (type) {
    case kFlow: m.body = decode_items(body, version, &decode_flow_stats); break;
    case kGroup: m.body = decode_items(body, version, &decode_group_stats); break;
    case kGroupDesc: m.body = decode_items(body, version, &decode_group_desc); break;
    case kPortDesc: m.body = decode_items(body, version, &decode_port); break;
    case kMeter: m.body = decode_items(body, version, &decode_meter_stats); break;
    case kMeterConfig: m.body = decode_items(body, version, &decode_meter_config); break;
    default:
      body.fail(errors::brc_bad_multipart, "multipart type " + std::to_string(type) + " is not supported");
  }
  return m;
}

}  // namespace vtap::openflow::wire
