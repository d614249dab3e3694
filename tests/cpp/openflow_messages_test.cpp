// Tests for the OpenFlow message codec (messages.hpp): golden bytes for every message we
// encode, in every version, checked by `ovs-ofctl ofp-print` as oracle.
//
// tests/data/openflow/messages/NAME_ofVV.txt holds our encoding (`hex:`) and what
// `ovs-ofctl ofp-print` prints for it (everything after the `text:` line). The test compares
// our bytes with the stored hex, decodes the stored hex back to the message, and, when
// ovs-ofctl is on PATH, asks ofp-print again. VTAP_REGENERATE_GOLDEN=1 rewrites the files.
//
// Replies captured from a real ovs-vswitchd are decoded in openflow_messages_ovs_test.cpp;
// malformed input in openflow_messages_malformed_test.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "golden.hpp"
#include "libvtap/openflow/messages.hpp"

namespace vtap::openflow {
namespace {

using golden::Bytes;
using golden::from_hex;
using golden::to_hex;

const std::string& messages_dir() {
  static const std::string dir = std::string(VTAP_TEST_DATA) + "/openflow/messages/";
  return dir;
}
std::string version_suffix(Version v) { return "of1" + std::to_string(static_cast<int>(v) - 1); }

constexpr auto kAll = {Version::of13, Version::of14, Version::of15};

FieldBytes mac_bytes(const char* text) {
  FieldBytes b{};
  const auto mac = MacAddress::parse(text).bytes();
  std::copy(mac.begin(), mac.end(), b.begin());
  return b;
}

FlowRule tcp_rule() {
  return FlowRule{0, 40000, 0x5, Match::parse("tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80"), {GroupAction{1}}};
}
FlowRule metered_rule() {
  return FlowRule{1, 10, 0xabc, Match::parse("ip,nw_dst=10.0.0.2"),
                  {MeterAction{1}, SetFieldAction{Field::eth_dst, mac_bytes("fa:16:3e:00:00:02")}, OutputAction{2, {}}}};
}
GroupEntry all_group() {
  return GroupEntry{1, GroupType::all, {Bucket{0, {OutputAction{1, {}}}}, Bucket{1, {PushVlanAction{0x8100}, OutputAction{2, {}}}}}};
}
GroupEntry select_group() {
  return GroupEntry{2, GroupType::select, {Bucket{0, {OutputAction{3, {}}}}, Bucket{1, {OutputAction{4, 100}}}}};
}
PortDesc port(std::uint32_t no, const char* name, const char* mac, std::uint32_t config, std::uint32_t state) {
  return PortDesc{no, MacAddress::parse(mac), name, config, state};
}

GroupEntry group_named(std::uint32_t id) {
  GroupEntry g;
  g.group_id = id;
  return g;
}
MeterEntry meter_named(std::uint32_t id) {
  MeterEntry m;
  m.meter_id = id;
  return m;
}

struct EncodeCase {
  std::string name;
  std::string description;
  std::vector<Version> versions;
  std::uint32_t xid;
  Message message;
};

std::vector<EncodeCase> encode_cases() {
  const std::vector<Version> all = kAll;
  FlowMod add{FlowModCommand::add, tcp_rule(), 0, 60, 300, 1, port_any, group_any};
  FlowMod metered{FlowModCommand::add, metered_rule(), 0, 0, 0, 0, port_any, group_any};
  FlowMod modify{FlowModCommand::modify_strict, tcp_rule(), 0, 0, 0, 0, port_any, group_any};
  FlowMod del{FlowModCommand::delete_, FlowRule{table_all, 0, 0x5, Match::parse("tcp"), {}}, 0xff, 0, 0, 0, 2, group_any};
  FlowMod del_strict{FlowModCommand::delete_strict, FlowRule{3, 7, 0, Match::parse("ip"), {}}, 0, 0, 0, 0, port_any, 1};
  FlowStats tcp_stats{tcp_rule(), 11, 500000000, 60, 300, 1, 10, 1000};
  FlowStats metered_stats{metered_rule(), 1, 0, 0, 0, 0, 0, 0};
  return {
      {"hello", "HELLO with a version bitmap of 1.3-1.5", all, 1, Hello{{Version::of13, Version::of14, Version::of15}}},
      {"hello_one", "HELLO offering one version", all, 2, Hello{{Version::of13}}},
      {"hello_plain", "HELLO without elements", all, 3, Hello{}},
      {"error_bad_len", "ERROR OFPBRC_BAD_LEN with the offending message", all, 4,
       ErrorMessage{errors::brc_bad_len, {0x04, 0x02, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef}}},
      {"error_group_exists", "ERROR OFPGMFC_GROUP_EXISTS", all, 5, ErrorMessage{errors::gmfc_group_exists, {}}},
      {"error_bundle", "ERROR OFPBFC_MSG_FAILED (an ONF experimenter error in 1.3)", all, 6,
       ErrorMessage{errors::bfc_msg_failed, {0x04, 0x14, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06}}},
      {"error_set_mask", "ERROR OFPBAC_BAD_SET_MASK (ONF 4250 in 1.3/1.4)", all, 7, ErrorMessage{errors::bac_bad_set_mask, {}}},
      {"error_nicira", "ERROR in Nicira's experimenter space (NXBRC_MUST_BE_ZERO)", all, 8,
       ErrorMessage{{error_type::experimenter, 4}, {}, nicira_experimenter_id}},
      {"echo_request", "ECHO_REQUEST with data", all, 9, EchoRequest{{1, 2, 3, 4}}},
      {"echo_reply", "ECHO_REPLY with data", all, 9, EchoReply{{1, 2, 3, 4}}},
      {"features_request", "FEATURES_REQUEST", all, 10, FeaturesRequest{}},
      {"features_reply", "FEATURES_REPLY", all, 10, FeaturesReply{0x1234, 0, 254, 0, 0x4f}},
      {"barrier_request", "BARRIER_REQUEST", all, 11, BarrierRequest{}},
      {"barrier_reply", "BARRIER_REPLY", all, 11, BarrierReply{}},
      {"flow_mod_add", "FLOW_MOD add with timeouts and SEND_FLOW_REM", all, 12, add},
      {"flow_mod_metered", "FLOW_MOD add with a meter (an instruction before 1.5)", all, 13, metered},
      {"flow_mod_modify_strict", "FLOW_MOD modify_strict", all, 14, modify},
      {"flow_mod_delete", "FLOW_MOD delete in every table by cookie and out_port", all, 15, del},
      {"flow_mod_delete_strict", "FLOW_MOD delete_strict by out_group", all, 16, del_strict},
      {"group_mod_add_all", "GROUP_MOD add of an all group", all, 17, GroupMod{GroupModCommand::add, all_group()}},
      {"group_mod_add_select", "GROUP_MOD add of a select group (weight 1)", all, 18, GroupMod{GroupModCommand::add, select_group()}},
      {"group_mod_modify", "GROUP_MOD modify", all, 19, GroupMod{GroupModCommand::modify, GroupEntry{1, GroupType::indirect, {Bucket{0, {OutputAction{5, {}}}}}}}},
      {"group_mod_delete", "GROUP_MOD delete", all, 20, GroupMod{GroupModCommand::delete_, group_named(1)}},
      {"group_mod_delete_all", "GROUP_MOD delete of every group", all, 21, GroupMod{GroupModCommand::delete_, group_named(group_all)}},
      {"group_mod_meter_bucket", "GROUP_MOD whose bucket meters (OFPAT_METER, 1.5 only)", {Version::of15}, 22,
       GroupMod{GroupModCommand::add, GroupEntry{3, GroupType::all, {Bucket{7, {MeterAction{2}, OutputAction{1, {}}}}}}}},
      {"meter_mod_add_burst", "METER_MOD add pktps with burst", all, 23,
       MeterMod{MeterModCommand::add, MeterEntry{1, MeterEntry::Unit::pktps, 1000, 100}}},
      {"meter_mod_add_kbps", "METER_MOD add kbps", all, 24, MeterMod{MeterModCommand::add, MeterEntry{2, MeterEntry::Unit::kbps, 5000, 0}}},
      {"meter_mod_modify", "METER_MOD modify", all, 25, MeterMod{MeterModCommand::modify, MeterEntry{2, MeterEntry::Unit::kbps, 2000, 300}}},
      {"meter_mod_delete", "METER_MOD delete", all, 26, MeterMod{MeterModCommand::delete_, meter_named(2)}},
      {"meter_mod_delete_all", "METER_MOD delete of every meter", all, 27, MeterMod{MeterModCommand::delete_, meter_named(meter_all)}},
      {"port_status_add", "PORT_STATUS add", all, 0,
       PortStatus{PortStatus::Reason::add, port(3, "p3", "aa:55:aa:55:00:03", 0, 4)}},
      {"port_status_modify", "PORT_STATUS modify (port down)", all, 0,
       PortStatus{PortStatus::Reason::modify, port(1, "eth-long-name15", "aa:55:aa:55:00:01", 1, 1)}},
      {"port_status_delete", "PORT_STATUS delete", all, 0,
       PortStatus{PortStatus::Reason::delete_, port(port_local, "br0", "ca:94:4a:d0:55:47", 0, 0)}},
      {"bundle_open", "BUNDLE_CONTROL open request, atomic and ordered", all, 30,
       BundleControl{7, BundleControlType::open_request, bundle_atomic | bundle_ordered}},
      {"bundle_open_reply", "BUNDLE_CONTROL open reply", all, 30, BundleControl{7, BundleControlType::open_reply, 0}},
      {"bundle_commit", "BUNDLE_CONTROL commit request", all, 31,
       BundleControl{7, BundleControlType::commit_request, bundle_atomic | bundle_ordered}},
      {"bundle_discard", "BUNDLE_CONTROL discard request", all, 32, BundleControl{7, BundleControlType::discard_request, 0}},
      {"bundle_add_flow", "BUNDLE_ADD_MESSAGE of a flow add", all, 33, BundleAdd{7, bundle_atomic | bundle_ordered, add}},
      {"bundle_add_group", "BUNDLE_ADD_MESSAGE of a group add", all, 34,
       BundleAdd{7, bundle_atomic | bundle_ordered, GroupMod{GroupModCommand::add, select_group()}}},
      {"multipart_flow_request", "MULTIPART_REQUEST flow stats, all flows", all, 40, MultipartRequest{0, FlowStatsRequest{}}},
      {"multipart_flow_request_filtered", "MULTIPART_REQUEST flow stats of one table, cookie and port", all, 41,
       MultipartRequest{0, FlowStatsRequest{3, 2, group_any, 0x5, 0xff, Match::parse("tcp")}}},
      {"multipart_group_request", "MULTIPART_REQUEST group stats", all, 42, MultipartRequest{0, GroupStatsRequest{}}},
      {"multipart_group_desc_request", "MULTIPART_REQUEST group descriptions", all, 43, MultipartRequest{0, GroupDescRequest{}}},
      {"multipart_group_desc_request_one", "MULTIPART_REQUEST description of group 2 (1.5 only)", {Version::of15}, 44,
       MultipartRequest{0, GroupDescRequest{2}}},
      {"multipart_port_desc_request", "MULTIPART_REQUEST port descriptions", all, 45, MultipartRequest{0, PortDescRequest{}}},
      {"multipart_meter_request", "MULTIPART_REQUEST meter stats of meter 1", all, 46, MultipartRequest{0, MeterStatsRequest{1}}},
      {"multipart_meter_config_request", "MULTIPART_REQUEST meter configurations", all, 47, MultipartRequest{0, MeterConfigRequest{}}},
      {"multipart_flow_reply", "MULTIPART_REPLY with two flows", all, 40,
       MultipartReply{0, std::vector<FlowStats>{tcp_stats, metered_stats}}},
      {"multipart_flow_reply_more", "MULTIPART_REPLY with no flows and the more flag", all, 40,
       MultipartReply{multipart_more, std::vector<FlowStats>{}}},
      {"multipart_group_reply", "MULTIPART_REPLY group stats", all, 42,
       MultipartReply{0, std::vector<GroupStats>{GroupStats{1, 1, {10, 1000}, {{4, 400}, {6, 600}}}, GroupStats{2, 0, {}, {}}}}},
      {"multipart_group_desc_reply", "MULTIPART_REPLY group descriptions", all, 43,
       MultipartReply{0, std::vector<GroupEntry>{all_group(), select_group()}}},
      {"multipart_port_desc_reply", "MULTIPART_REPLY port descriptions", all, 45,
       MultipartReply{0, std::vector<PortDesc>{port(port_local, "br0", "ca:94:4a:d0:55:47", 1, 1),
                                               port(1, "p1", "aa:55:aa:55:00:0f", 0, 4)}}},
      {"multipart_meter_reply", "MULTIPART_REPLY meter stats", all, 46,
       MultipartReply{0, std::vector<MeterStats>{MeterStats{1, 2, {100, 6400}, {{5, 320}}}}}},
      {"multipart_meter_config_reply", "MULTIPART_REPLY meter configurations", all, 47,
       MultipartReply{0, std::vector<MeterEntry>{MeterEntry{1, MeterEntry::Unit::pktps, 1000, 100},
                                                 MeterEntry{2, MeterEntry::Unit::kbps, 5000, 0}}}},
  };
}

// Before OpenFlow 1.5 buckets have no ids on the wire: decoding numbers them 0, 1, 2...
void renumber(GroupEntry& g) {
  for (std::size_t i = 0; i < g.buckets.size(); ++i) g.buckets[i].bucket_id = static_cast<std::uint32_t>(i);
}
Message expected_decoding(Message m, Version v) {
  if (v == Version::of15) return m;
  if (auto* g = std::get_if<GroupMod>(&m)) renumber(g->group);
  if (auto* b = std::get_if<BundleAdd>(&m)) {
    if (auto* g = std::get_if<GroupMod>(&b->message)) renumber(g->group);
  }
  if (auto* r = std::get_if<MultipartReply>(&m)) {
    if (auto* groups = std::get_if<std::vector<GroupEntry>>(&r->body)) {
      for (GroupEntry& g : *groups) renumber(g);
    }
  }
  return m;
}

struct GoldenFile {
  std::string hex;
  std::string text;
};

GoldenFile read_golden(const std::string& path) {
  GoldenFile g;
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  bool in_text = false;
  for (std::string line; std::getline(in, line);) {
    if (in_text) {
      g.text += line + "\n";
    } else if (line.starts_with("hex: ")) {
      g.hex = line.substr(5);
    } else if (line == "text:") {
      in_text = true;
    }
  }
  return g;
}

TEST(OpenflowMessages, GoldenBytesAndOfpPrintForEveryMessageInEveryVersion) {
  const bool regenerate = golden::regenerate();
  if (regenerate && !golden::have_ovs_ofctl()) GTEST_SKIP() << "VTAP_REGENERATE_GOLDEN needs ovs-ofctl";
  std::size_t checked = 0;
  for (const EncodeCase& c : encode_cases()) {
    for (Version v : c.versions) {
      const std::string path = messages_dir() + c.name + "_" + version_suffix(v) + ".txt";
      SCOPED_TRACE(path);
      const Bytes ours = encode(c.message, v, c.xid);
      if (regenerate) {
        std::ofstream(path) << "# " << c.description << " (" << type_name(c.message) << ", " << to_string(v)
                            << ", xid " << c.xid << ")\nhex: " << to_hex(ours)
                            << "\ntext:\n" << golden::ofp_print_all(ours);
      }
      const GoldenFile g = read_golden(path);
      EXPECT_EQ(to_hex(ours), g.hex);
      EXPECT_EQ(g.text.find("decode error"), std::string::npos) << g.text;
      EXPECT_EQ(g.text.find("***"), std::string::npos) << g.text;
      if (golden::have_ovs_ofctl()) {
        EXPECT_EQ(golden::ofp_print_all(ours), g.text);
      }
      try {
        const Frame frame = decode(from_hex(g.hex));
        EXPECT_EQ(frame.version, v);
        EXPECT_EQ(frame.xid, c.xid);
        EXPECT_TRUE(frame.message == expected_decoding(c.message, v)) << type_name(frame.message);
        const Header h = decode_header(from_hex(g.hex));
        EXPECT_EQ(h.length, g.hex.size() / 2);
        EXPECT_EQ(h.version, static_cast<std::uint8_t>(v));
      } catch (const DecodeError& e) {
        ADD_FAILURE() << e.what();
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 100U);
}

TEST(OpenflowMessages, EveryMessageTypeHasAGoldenCaseInEveryVersion) {
  std::vector<std::vector<bool>> seen(3, std::vector<bool>(std::variant_size_v<Message>));
  for (const EncodeCase& c : encode_cases()) {
    for (Version v : c.versions) seen[static_cast<std::size_t>(v) - 4][c.message.index()] = true;
  }
  for (std::size_t v = 0; v < 3; ++v) {
    for (std::size_t i = 0; i < seen[v].size(); ++i) EXPECT_TRUE(seen[v][i]) << "version " << v + 4 << " message " << i;
  }
}

TEST(OpenflowMessages, TypeNames) {
  EXPECT_EQ(type_name(Hello{}), "OFPT_HELLO");
  EXPECT_EQ(type_name(FlowMod{}), "OFPT_FLOW_MOD");
  EXPECT_EQ(type_name(BundleAdd{}), "OFPT_BUNDLE_ADD_MESSAGE");
  EXPECT_EQ(type_name(MultipartReply{}), "OFPT_MULTIPART_REPLY");
  EXPECT_EQ(type_name(ErrorMessage{}), "OFPT_ERROR");
}

TEST(OpenflowMessages, BundleAddOfAMessageIsTheBundleAddEncoding) {
  const FlowMod flow{FlowModCommand::add, tcp_rule()};
  const GroupMod group{GroupModCommand::add, select_group()};
  for (Version v : kAll) {
    SCOPED_TRACE(to_string(v));
    for (const Message& inner : {Message(flow), Message(group)}) {
      Bytes ours{1, 2, 3};
      encode_bundle_add(7, bundle_atomic | bundle_ordered, inner, v, 33, ours);
      Bytes expected{1, 2, 3};
      BundleAdd add{7, bundle_atomic | bundle_ordered, flow};
      if (const auto* g = std::get_if<GroupMod>(&inner)) add.message = *g;
      encode(add, v, 33, expected);
      EXPECT_EQ(to_hex(ours), to_hex(expected));
    }
    // Only flow and group modifications go in a bundle; a refusal leaves `out` as it was.
    Bytes out{1, 2, 3};
    EXPECT_THROW(encode_bundle_add(7, 0, BarrierRequest{}, v, 1, out), Error);
    EXPECT_THROW(encode_bundle_add(7, 8, flow, v, 1, out), Error);
    EXPECT_EQ(out, (Bytes{1, 2, 3}));
  }
}

// Requests whose bytes equal what `ovs-ofctl` itself sends for the same command (recorded
// through a logging proxy in front of a real switch; xids as ovs-ofctl used them).
struct OvsRequest {
  const char* command;
  Version version;
  std::uint32_t xid;
  Message message;
  std::string ovs_hex;
};

std::vector<OvsRequest> ovs_requests() {
  MeterEntry burst{10, MeterEntry::Unit::kbps, 100, 10};
  MeterEntry plain{10, MeterEntry::Unit::pktps, 100, 0};
  FlowMod del;
  del.command = FlowModCommand::delete_;
  del.rule.table = 2;
  del.rule.priority = 0x8000;  // OVS writes OFP_DEFAULT_PRIORITY in deletes.
  del.rule.cookie = 9;
  del.cookie_mask = ~std::uint64_t{0};
  FlowMod add;
  add.rule = FlowRule{2, 7, 0, Match::parse("ip"), {}};
  std::vector<OvsRequest> out;
  const auto at = [](Version v, const std::string& rest) {
    return golden::to_hex(std::vector<std::uint8_t>{static_cast<std::uint8_t>(v)}) + rest;
  };
  for (Version v : {Version::of13, Version::of14, Version::of15}) {
    const bool of15 = v == Version::of15;
    out.push_back({"add-meter meter=10,kbps,burst,bands=type=drop,rate=100,burst_size=10", v, 2,
                   MeterMod{MeterModCommand::add, burst}, (at(v, "1d002000000002000000050000000a00010010000000640000000a00000000"))});
    out.push_back({"mod-meter meter=10,pktps,bands=type=drop,rate=100", v, 2, MeterMod{MeterModCommand::modify, plain},
                   (at(v, "1d002000000002000100020000000a00010010000000640000000000000000"))});
    out.push_back({"del-meter meter=10", v, 2, MeterMod{MeterModCommand::delete_, meter_named(10)},
                   (at(v, "1d001000000002000200000000000a"))});
    out.push_back({"del-groups group_id=10", v, 6, GroupMod{GroupModCommand::delete_, group_named(10)},
                   (at(v, of15 ? "0f001800000006000200000000000a00000000ffffffff" : "0f001000000006000200000000000a"))});
    out.push_back({"del-flows table=2,cookie=0x9/-1", v, 6, del,
                   (at(v, "0e0038000000060000000000000009ffffffffffffffff0203000000008000ffffffffffffffffffffffff000000000001000400000000"))});
    out.push_back({"add-flow table=2,priority=7,ip,actions=drop", v, 6, add,
                   (at(v, "0e004000000006000000000000000000000000000000000200000000000007ffffffffffffffffffffffff000000000001000a80000a020800000000000000"))});
    out.push_back({"dump-flows", v, 2, MultipartRequest{0, FlowStatsRequest{}},
                   (at(v, "120038000000020001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000"))});
    out.push_back({"dump-group-stats", v, 6, MultipartRequest{0, GroupStatsRequest{}},
                   (at(v, "120018000000060006000000000000fffffffc00000000"))});
    out.push_back({"dump-groups", v, 2, MultipartRequest{0, GroupDescRequest{}},
                   (at(v, of15 ? "120018000000020007000000000000fffffffc00000000" : "120010000000020007000000000000"))});
    out.push_back({"dump-groups 2 (1.5 only asks for one group)", v, 2, MultipartRequest{0, GroupDescRequest{of15 ? 2U : group_all}},
                   (at(v, of15 ? "1200180000000200070000000000000000000200000000" : "120010000000020007000000000000"))});
    out.push_back({"dump-ports-desc", v, 2, MultipartRequest{0, PortDescRequest{}},
                   (at(v, of15 ? "12001800000002000d000000000000ffffffff00000000" : "12001000000002000d000000000000"))});
    out.push_back({"meter-stats", v, 2, MultipartRequest{0, MeterStatsRequest{}},
                   (at(v, "120018000000020009000000000000ffffffff00000000"))});
    out.push_back({"dump-meters", v, 2, MultipartRequest{0, MeterConfigRequest{}},
                   (at(v, "12001800000002000a000000000000ffffffff00000000"))});
    out.push_back({"--bundle (open)", v, 7, BundleControl{0, BundleControlType::open_request, 3},
                   (v == Version::of13 ? "04040018000000074f4e4600000008fc0000000000000003" : at(v, "210010000000070000000000000003"))});
    out.push_back({"--bundle (commit)", v, 9, BundleControl{0, BundleControlType::commit_request, 3},
                   (v == Version::of13 ? "04040018000000094f4e4600000008fc0000000000040003" : at(v, "210010000000090000000000040003"))});
    out.push_back({"--bundle add-flow table=2,priority=7,ip,actions=drop", v, 6, BundleAdd{0, 3, add},
                   (v == Version::of13
                            ? "04040058000000064f4e4600000008fd000000000000000304" "0e004000000006000000000000000000000000000000000200000000000007ffffffffffffffffffffffff000000000001000a80000a020800000000000000"
                            : at(v, "220050000000060000000000000003") + at(v, "0e004000000006000000000000000000000000000000000200000000000007ffffffffffffffffffffffff000000000001000a80000a020800000000000000"))});
  }
  return out;
}

TEST(OpenflowMessages, RequestsAreTheBytesOvsOfctlSends) {
  for (const OvsRequest& r : ovs_requests()) {
    SCOPED_TRACE(std::string(r.command) + " in " + std::string(to_string(r.version)));
    EXPECT_EQ(to_hex(encode(r.message, r.version, r.xid)), r.ovs_hex);
    const Frame f = decode(from_hex(r.ovs_hex));
    EXPECT_TRUE(f.message == r.message);
  }
}

}  // namespace
}  // namespace vtap::openflow
