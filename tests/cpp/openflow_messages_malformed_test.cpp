// Malformed OpenFlow messages: every error path of the message decoder, with the typed
// error it throws. Each case starts from a valid encoding and breaks it (patches bytes,
// cuts or appends, then fixes the header length unless the length is what is broken).
// The `ovs` column is what `ovs-ofctl ofp-print` reports for the same bytes ("accepted"
// where OVS takes them, "-" where OVS cannot decode the message kind at all); it is checked
// when ovs-ofctl is on PATH.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden.hpp"
#include "libvtap/openflow/messages.hpp"

namespace vtap::openflow {
namespace {

using golden::Bytes;
using golden::from_hex;
using golden::to_hex;

struct Patch {
  std::size_t offset;
  const char* hex;
};

struct Malformed {
  const char* what;
  Version version;
  Message base;
  std::vector<Patch> patches;
  std::ptrdiff_t resize = 0;  // Bytes to cut (negative) or zeros to append (positive).
  bool fix_length = true;
  const char* error;
  const char* ovs;
};

GroupEntry two_buckets() {
  return GroupEntry{1, GroupType::all, {Bucket{0, {OutputAction{1, {}}}}, Bucket{1, {OutputAction{2, {}}}}}};
}
MeterEntry pktps() { return MeterEntry{1, MeterEntry::Unit::pktps, 1000, 0}; }
FlowMod flow() {
  FlowMod m;
  m.rule = FlowRule{0, 10, 0, Match::parse("ip"), {OutputAction{1, {}}}};
  return m;
}
FlowStats flow_stats() { return FlowStats{flow().rule, 1, 2, 0, 0, 0, 3, 4}; }

Bytes build(const Malformed& c) {
  Bytes b = encode(c.base, c.version, 1);
  for (const Patch& p : c.patches) {
    const Bytes with = from_hex(p.hex);
    if (p.offset + with.size() > b.size()) b.resize(p.offset + with.size());
    std::copy(with.begin(), with.end(), b.begin() + static_cast<std::ptrdiff_t>(p.offset));
  }
  if (c.resize < 0) b.resize(b.size() - static_cast<std::size_t>(-c.resize));
  if (c.resize > 0) b.resize(b.size() + static_cast<std::size_t>(c.resize));
  if (c.fix_length && b.size() >= 4) {
    b[2] = static_cast<std::uint8_t>(b.size() >> 8);
    b[3] = static_cast<std::uint8_t>(b.size());
  }
  return b;
}

std::vector<Malformed> cases() {
  constexpr Version v13 = Version::of13, v14 = Version::of14, v15 = Version::of15;
  const BundleAdd bundled{1, 0, flow()};
  return {
      // Framing
      {"header cut short", v13, BarrierRequest{}, {}, -4, false, "OFPBRC_BAD_LEN", "-"},
      {"length field below 8", v13, BarrierRequest{}, {{2, "0004"}}, 0, false, "OFPBRC_BAD_LEN", "-"},
      {"length field past the bytes", v13, BarrierRequest{}, {{2, "0010"}}, 0, false, "OFPBRC_BAD_LEN", "-"},
      {"OpenFlow 1.0", v13, BarrierRequest{}, {{0, "01"}}, 0, true, "OFPBRC_BAD_VERSION", "-"},
      {"version 0x07", v13, BarrierRequest{}, {{0, "07"}}, 0, true, "OFPBRC_BAD_VERSION", "-"},
      {"unknown type (GET_CONFIG_REQUEST)", v13, BarrierRequest{}, {{1, "07"}}, 0, true, "OFPBRC_BAD_TYPE", "accepted"},
      {"BUNDLE_CONTROL type in 1.3", v13, BarrierRequest{}, {{1, "21"}}, 8, true, "OFPBRC_BAD_TYPE", "OFPBRC_BAD_TYPE"},
      // HELLO
      {"hello element header cut", v13, Hello{{v13}}, {}, -6, true, "OFPBRC_BAD_LEN", "accepted"},
      {"hello element length below 4", v13, Hello{{v13}}, {{10, "0002"}}, 0, true, "OFPBRC_BAD_LEN", "accepted"},
      {"hello element past the message", v13, Hello{{v13}}, {{10, "0010"}}, 0, true, "OFPBRC_BAD_LEN", "accepted"},
      {"empty version bitmap", v13, Hello{{v13}}, {{10, "0004"}}, -4, true, "OFPBRC_BAD_LEN", "accepted"},
      {"version bitmap of 6 bytes", v13, Hello{{v13}}, {{10, "0006"}}, 0, true, "OFPBRC_BAD_LEN", "accepted"},
      // ERROR, FEATURES, BARRIER
      {"error without code", v13, ErrorMessage{errors::brc_bad_len, {}}, {}, -2, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"experimenter error without id", v13, ErrorMessage{{0xffff, 1}, {}, 0x2320}, {}, -4, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"features request with a body", v13, FeaturesRequest{}, {}, 8, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"features reply cut short", v13, FeaturesReply{1, 0, 254, 0, 0}, {}, -8, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"barrier reply with a body", v15, BarrierReply{}, {}, 8, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      // PORT_STATUS
      {"port status reason 3", v13, PortStatus{}, {{8, "03"}}, 0, true, "OFPBRC_BAD_TYPE", "NXBRC_BAD_REASON"},
      {"1.3 port cut short", v13, PortStatus{}, {}, -8, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"1.4 port length below 40", v14, PortStatus{}, {{20, "0020"}}, 0, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"1.4 port length past the message", v14, PortStatus{}, {{20, "0050"}}, 0, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"1.4 port property length below 4", v15, PortStatus{}, {{58, "0002"}}, 0, true, "OFPBRC_BAD_LEN", "OFPBPC_BAD_LEN"},
      {"1.4 port property past the port", v15, PortStatus{}, {{58, "0028"}}, 0, true, "OFPBRC_BAD_LEN", "OFPBPC_BAD_LEN"},
      {"port status with trailing bytes", v13, PortStatus{}, {}, 8, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      // FLOW_MOD
      {"flow mod command 5", v13, flow(), {{25, "05"}}, 0, true, "OFPFMFC_BAD_COMMAND", "OFPFMFC_BAD_COMMAND"},
      {"flow mod with a buffer id", v13, flow(), {{32, "00000001"}}, 0, true, "OFPBRC_BUFFER_UNKNOWN", "accepted"},
      {"flow add to table 255", v13, flow(), {{24, "ff"}}, 0, true, "OFPFMFC_BAD_TABLE_ID", "OFPFMFC_BAD_TABLE_ID"},
      {"flow mod cut before the match", v14, flow(), {}, -40, true, "OFPBMC_BAD_LEN", "OFPBMC_BAD_LEN"},
      {"flow mod match of type 0", v15, flow(), {{48, "0000"}}, 0, true, "OFPBMC_BAD_TYPE", "OFPBMC_BAD_LEN"},
      {"flow mod instruction of length 12", v13, flow(), {{66, "000c"}}, 0, true, "OFPBIC_BAD_LEN", "OFPBIC_BAD_LEN"},
      {"flow mod action of type 99", v13, flow(), {{72, "0063"}}, 0, true, "OFPBAC_BAD_TYPE", "OFPBAC_BAD_TYPE"},
      // GROUP_MOD
      {"group mod command 3 (1.5 insert bucket)", v15, GroupMod{GroupModCommand::add, two_buckets()}, {{8, "0003"}}, 0, true,
       "OFPGMFC_BAD_COMMAND", "OFPGMFC_BAD_BUCKET"},
      {"group mod command 9", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{8, "0009"}}, 0, true, "OFPGMFC_BAD_COMMAND",
       "OFPGMFC_BAD_COMMAND"},
      {"group type 4", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{10, "04"}}, 0, true, "OFPGMFC_BAD_TYPE", "OFPGMFC_BAD_TYPE"},
      {"group id OFPG_ALL in an add", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{12, "fffffffc"}}, 0, true,
       "OFPGMFC_INVALID_GROUP", "accepted"},
      {"group id OFPG_ANY in a delete", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{8, "0002"}, {12, "ffffffff"}}, 0, true,
       "OFPGMFC_INVALID_GROUP", "OFPGMFC_INVALID_GROUP"},
      {"1.3 bucket length 8", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{16, "0008"}}, 0, true, "OFPGMFC_BAD_BUCKET",
       "OFPGMFC_BAD_BUCKET"},
      {"1.3 bucket length 36", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{16, "0024"}}, 0, true, "OFPGMFC_BAD_BUCKET",
       "OFPBRC_BAD_LEN"},
      {"1.3 bucket past the message", v14, GroupMod{GroupModCommand::add, two_buckets()}, {{48, "0040"}}, 0, true,
       "OFPGMFC_BAD_BUCKET", "OFPGMFC_BAD_BUCKET"},
      {"1.3 bucket with a bad action length", v13, GroupMod{GroupModCommand::add, two_buckets()}, {{34, "0018"}}, 0, true,
       "OFPBAC_BAD_LEN", "OFPBAC_BAD_LEN"},
      {"1.5 bucket array past the message", v15, GroupMod{GroupModCommand::add, two_buckets()}, {{16, "0100"}}, 0, true,
       "OFPGMFC_BAD_BUCKET", "OFPBRC_BAD_LEN"},
      {"1.5 bucket id above OFPG_BUCKET_MAX", v15, GroupMod{GroupModCommand::add, two_buckets()}, {{28, "ffffff01"}}, 0, true,
       "OFPGMFC_BAD_BUCKET", "OFPGMFC_BAD_BUCKET"},
      {"1.5 bucket id twice", v15, GroupMod{GroupModCommand::add, two_buckets()}, {{52, "00000000"}}, 0, true,
       "OFPGMFC_BAD_BUCKET", "OFPGMFC_BAD_BUCKET"},
      {"1.5 action array past the bucket", v15, GroupMod{GroupModCommand::add, two_buckets()}, {{26, "0018"}}, 0, true,
       "OFPGMFC_BAD_BUCKET", "OFPGMFC_BAD_BUCKET"},
      {"1.5 bucket length 4", v15, GroupMod{GroupModCommand::add, two_buckets()}, {{24, "0004"}}, 0, true,
       "OFPGMFC_BAD_BUCKET", "OFPGMFC_BAD_BUCKET"},
      {"1.5 weight property of length 12", v15, GroupMod{GroupModCommand::add, GroupEntry{1, GroupType::select, {Bucket{0, {}}}}},
       {{34, "000c"}}, 0, true, "OFPGMFC_BAD_BUCKET", "OFPBPC_BAD_LEN"},
      {"1.5 group property past the message", v15, GroupMod{GroupModCommand::add, two_buckets()}, {}, 4, true,
       "OFPGMFC_BAD_BUCKET", "OFPBRC_BAD_LEN"},
      // METER_MOD
      {"meter mod command 3", v13, MeterMod{MeterModCommand::add, pktps()}, {{8, "0003"}}, 0, true, "OFPMMFC_BAD_COMMAND", "OFPMMFC_BAD_COMMAND"},
      {"meter id 0", v13, MeterMod{MeterModCommand::add, pktps()}, {{12, "00000000"}}, 0, true, "OFPMMFC_INVALID_METER", "accepted"},
      {"meter id OFPM_ALL in an add", v13, MeterMod{MeterModCommand::add, pktps()}, {{12, "ffffffff"}}, 0, true,
       "OFPMMFC_INVALID_METER", "accepted"},
      {"meter both kbps and pktps", v13, MeterMod{MeterModCommand::add, pktps()}, {{10, "0003"}}, 0, true, "OFPMMFC_BAD_FLAGS",
       "OFPMMFC_BAD_FLAGS"},
      {"meter with an unknown flag", v13, MeterMod{MeterModCommand::add, pktps()}, {{10, "0012"}}, 0, true, "OFPMMFC_BAD_FLAGS",
       "accepted"},
      {"meter without bands", v13, MeterMod{MeterModCommand::add, pktps()}, {}, -16, true, "OFPMMFC_BAD_BAND", "accepted"},
      {"meter band of type dscp_remark", v13, MeterMod{MeterModCommand::add, pktps()}, {{16, "0002"}}, 0, true, "OFPMMFC_BAD_BAND",
       "accepted"},
      {"meter band of length 12", v13, MeterMod{MeterModCommand::add, pktps()}, {{18, "000c"}}, 0, true, "OFPBRC_BAD_LEN",
       "OFPBRC_BAD_LEN"},
      {"meter with two bands", v13, MeterMod{MeterModCommand::add, pktps()}, {{32, "00010010000000010000000000000000"}}, 0, true,
       "OFPMMFC_BAD_BAND", "accepted"},
      // Bundles
      {"bundle control type 8", v14, BundleControl{}, {{12, "0008"}}, 0, true, "OFPBFC_BAD_TYPE", "accepted"},
      {"bundle control flag 4", v14, BundleControl{}, {{14, "0004"}}, 0, true, "OFPBFC_BAD_FLAGS", "accepted"},
      {"bundle control cut short", v15, BundleControl{}, {}, -2, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"bundle property past the message", v15, BundleControl{}, {{16, "00000010"}}, 0, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"bundle add flag 8", v14, bundled, {{14, "0008"}}, 0, true, "OFPBFC_BAD_FLAGS", "accepted"},
      {"bundle add without a message", v14, bundled, {}, -88, true, "OFPBFC_MSG_BAD_LEN", "OFPBFC_MSG_BAD_LEN"},
      {"bundled message past the bundle", v14, bundled, {{18, "0080"}}, 0, true, "OFPBFC_MSG_BAD_LEN", "OFPBFC_MSG_BAD_LEN"},
      {"bundled message length below 8", v14, bundled, {{18, "0004"}}, 0, true, "OFPBFC_MSG_BAD_LEN", "OFPBFC_MSG_BAD_LEN"},
      {"bundled message of another version", v14, bundled, {{16, "04"}}, 0, true, "OFPBRC_BAD_VERSION", "OFPBFC_BAD_VERSION"},
      {"bundled message with another xid", v14, bundled, {{20, "00000002"}}, 0, true, "OFPBFC_MSG_BAD_XID", "OFPBFC_MSG_BAD_XID"},
      {"bundled barrier", v14, bundled, {{17, "14"}, {18, "0008"}}, -56, true, "OFPBFC_MSG_UNSUP", "OFPBFC_MSG_UNSUP"},
      {"bundle inside a bundle", v15, bundled, {{17, "22"}}, 0, true, "OFPBFC_MSG_UNSUP", "OFPBFC_MSG_UNSUP"},
      {"bundled flow mod that is malformed", v15, bundled, {{41, "07"}}, 0, true, "OFPFMFC_BAD_COMMAND", "OFPFMFC_BAD_COMMAND"},
      {"1.3 experimenter not ONF", v13, BundleControl{}, {{8, "00002320"}}, 0, true, "OFPBRC_BAD_EXPERIMENTER", "OFPBRC_BAD_SUBTYPE"},
      {"1.3 ONF exp_type 2302", v13, BundleControl{}, {{12, "000008fe"}}, 0, true, "OFPBRC_BAD_EXP_TYPE", "OFPBRC_BAD_SUBTYPE"},
      {"ONF bundle extension in 1.4", v13, BundleControl{}, {{0, "05"}}, 0, true, "OFPBRC_BAD_EXP_TYPE", "OFPBRC_BAD_SUBTYPE"},
      {"experimenter header cut short", v13, BundleControl{}, {}, -14, true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      // Multipart
      {"multipart request of type TABLE", v13, MultipartRequest{0, GroupStatsRequest{}}, {{8, "0003"}}, -8, true,
       "OFPBRC_BAD_MULTIPART", "accepted"},
      {"multipart reply of type DESC", v13, MultipartReply{0, std::vector<PortDesc>{}}, {{8, "0000"}}, 0, true,
       "OFPBRC_BAD_MULTIPART", "OFPBRC_BAD_LEN"},
      {"flow stats request without its match", v13, MultipartRequest{0, FlowStatsRequest{}}, {}, -8, true, "OFPBMC_BAD_LEN", "OFPBMC_BAD_LEN"},
      {"group stats request with trailing bytes", v13, MultipartRequest{0, GroupStatsRequest{}}, {}, 8, true, "OFPBRC_BAD_LEN",
       "OFPBRC_BAD_LEN"},
      {"1.3 group desc request with a body", v13, MultipartRequest{0, GroupDescRequest{}}, {}, 8, true, "OFPBRC_BAD_LEN",
       "OFPBRC_BAD_LEN"},
      {"1.5 port desc request without port", v15, MultipartRequest{0, PortDescRequest{}}, {}, -8, true, "OFPBRC_BAD_LEN",
       "OFPBRC_BAD_LEN"},
      {"flow stats entry length below 48", v13, MultipartReply{0, std::vector<FlowStats>{flow_stats()}}, {{16, "0020"}}, 0, true,
       "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"flow stats entry past the message", v14, MultipartReply{0, std::vector<FlowStats>{flow_stats()}}, {{16, "0100"}}, 0, true,
       "OFPBRC_BAD_LEN", "OFPBIC_BAD_LEN"},
      {"1.5 flow stats past the flow", v15, MultipartReply{0, std::vector<FlowStats>{flow_stats()}}, {{58, "0100"}}, 0, true,
       "OFPBRC_BAD_LEN", "<invalid>"},
      {"1.5 OXS duration of 4 bytes", v15, MultipartReply{0, std::vector<FlowStats>{flow_stats()}},
       {{63, "04"}, {64, "00000000800202080000000000000000"}}, 0, true, "OFPBRC_BAD_LEN", "<invalid>"},
      {"group stats counters not a multiple of 16", v13,
       MultipartReply{0, std::vector<GroupStats>{GroupStats{1, 0, {}, {Counter{}}}}}, {{16, "0030"}}, -8, true, "OFPBRC_BAD_LEN",
       "OFPBRC_BAD_LEN"},
      {"meter stats length below 40", v13, MultipartReply{0, std::vector<MeterStats>{MeterStats{1, 0, {}, {}}}}, {{20, "0020"}}, 0,
       true, "OFPBRC_BAD_LEN", "OFPBRC_BAD_LEN"},
      {"meter config with two bands", v13, MultipartReply{0, std::vector<MeterEntry>{pktps()}},
       {{16, "0028"}, {40, "00010010000000010000000000000000"}}, 0, true, "OFPMMFC_BAD_BAND", "accepted"},
      {"group desc of type 9", v13, MultipartReply{0, std::vector<GroupEntry>{two_buckets()}}, {{18, "09"}}, 0, true,
       "OFPGMFC_BAD_TYPE", "accepted"},
      {"1.5 group desc bucket array past the group", v15, MultipartReply{0, std::vector<GroupEntry>{two_buckets()}},
       {{24, "00ff"}}, 0, true, "OFPGMFC_BAD_BUCKET", "OFPBRC_BAD_LEN"},
  };
}

// What OVS says about `bytes`: the error ofp-print reports, or "accepted".
std::string ovs_verdict(const Bytes& bytes) {
  const std::string text = golden::ofp_print_all(bytes);
  const auto at = text.find("decode error: ");
  if (at == std::string::npos) return "accepted";
  return text.substr(at + 14, text.find("***", at) - at - 14);
}

TEST(OpenflowMessagesMalformed, EveryErrorPathHasItsTypedError) {
  const auto all = cases();
  EXPECT_GE(all.size(), 80U);
  for (const Malformed& c : all) {
    const Bytes bytes = build(c);
    SCOPED_TRACE(std::string(c.what) + " in " + std::string(to_string(c.version)) + ": " + to_hex(bytes));
    try {
      const Frame f = decode(bytes);
      ADD_FAILURE() << "decoded as " << type_name(f.message) << ", expected " << c.error;
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.name(), c.error) << e.what();
    }
    if (golden::have_ovs_ofctl() && std::string(c.ovs) != "-") {
      EXPECT_EQ(ovs_verdict(bytes), c.ovs);
    }
  }
}

TEST(OpenflowMessagesMalformed, DecodeHeaderAndNegotiation) {
  EXPECT_THROW(decode_header(from_hex("0400")), DecodeError);
  EXPECT_THROW(decode_header(from_hex("0400000400000001")), DecodeError);
  const Header h = decode_header(from_hex("07000010000000ff00000000"));  // Any version, longer than given.
  EXPECT_EQ(h.version, 7);
  EXPECT_EQ(h.length, 16);
  EXPECT_EQ(h.xid, 0xffU);
  // Negotiation: a bitmap decides; without one the header version is the peer's highest.
  EXPECT_EQ(negotiate_version(from_hex("0100000800000001")), std::nullopt);          // OpenFlow 1.0 only.
  EXPECT_EQ(negotiate_version(from_hex("0500000800000001")), Version::of14);
  EXPECT_EQ(negotiate_version(from_hex("0700000800000001")), Version::of15);         // A newer peer.
  EXPECT_EQ(negotiate_version(from_hex("070000100000000100010008000000a0")), Version::of14);  // Bitmap {1.4, 1.6}.
  EXPECT_EQ(negotiate_version(from_hex("06000010000000010001000800000002")), std::nullopt);    // Bitmap {1.0}.
  // Unknown elements (with their padding) are skipped.
  EXPECT_EQ(negotiate_version(from_hex("060000180000000100090005000000000001000800000010")), Version::of13);
  try {
    negotiate_version(from_hex("0402000800000001"));
    ADD_FAILURE() << "an echo request is no hello";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.name(), "OFPBRC_BAD_TYPE");
  }
  EXPECT_THROW(negotiate_version(from_hex("0400000c00000001000100")), DecodeError);
}

TEST(OpenflowMessagesMalformed, EncodeRefusesWhatTheWireCannotSay) {
  const auto refuses = [](const Message& m, Version v) { EXPECT_THROW(encode(m, v, 1), Error) << type_name(m); };
  FlowMod add_all_tables;
  add_all_tables.rule.table = table_all;
  refuses(add_all_tables, Version::of13);
  GroupMod reserved{GroupModCommand::add, GroupEntry{group_all, GroupType::all, {}}};
  refuses(reserved, Version::of15);
  GroupMod duplicate{GroupModCommand::add, GroupEntry{1, GroupType::all, {Bucket{3, {}}, Bucket{3, {}}}}};
  refuses(duplicate, Version::of15);
  EXPECT_NO_THROW(encode(duplicate, Version::of13, 1));  // No bucket ids on the wire there.
  GroupMod high_id{GroupModCommand::add, GroupEntry{1, GroupType::all, {Bucket{0xffffff01, {}}}}};
  refuses(high_id, Version::of15);
  GroupMod metered{GroupModCommand::add, GroupEntry{1, GroupType::all, {Bucket{0, {MeterAction{1}}}}}};
  refuses(metered, Version::of13);
  refuses(MeterMod{MeterModCommand::add, MeterEntry{0, MeterEntry::Unit::kbps, 1, 0}}, Version::of13);
  refuses(MeterMod{MeterModCommand::modify, MeterEntry{meter_all, MeterEntry::Unit::kbps, 1, 0}}, Version::of13);
  refuses(BundleControl{1, BundleControlType::open_request, 4}, Version::of14);
  refuses(BundleAdd{1, 8, FlowMod{}}, Version::of13);
  refuses(PortStatus{PortStatus::Reason::add, PortDesc{1, {}, "sixteen-bytes-xx", 0, 0}}, Version::of13);
  // A failed encode leaves the output as it was.
  std::vector<std::uint8_t> out{1, 2, 3};
  EXPECT_THROW(encode(metered, Version::of13, 1, out), Error);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace vtap::openflow
