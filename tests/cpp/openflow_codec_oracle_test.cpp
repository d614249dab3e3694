// Tests for the OpenFlow codec against Open vSwitch.
//
// Oracles that nobody here wrote:
// - tests/data/openflow/malformed.txt: broken inputs, our error and OVS's error for each;
// - tests/data/openflow/flow_*.txt: complete FLOW_MODs we encode, with the text
//   `ovs-ofctl ofp-print` prints for them and OVS's own encoding of the same flow.
// When `ovs-ofctl` is on PATH the stored OVS answers are asked again and compared. Set
// VTAP_REGENERATE_GOLDEN=1 to rewrite the flow_*.txt files (needs ovs-ofctl).

#include <gtest/gtest.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "golden.hpp"
#include "libvtap/model/flow.hpp"
#include "libvtap/openflow/actions.hpp"
#include "libvtap/openflow/instructions.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "openflow_codec_helpers.hpp"

namespace vtap::openflow {
namespace {

using namespace codec_test;
using golden::first_line;
using golden::from_hex;
using golden::have_ovs_ofctl;
using golden::read_keyed;
using golden::run;
using golden::to_hex;

std::string ofp_print(const Bytes& message) { return first_line(run("ovs-ofctl ofp-print " + to_hex(message) + " 2>/dev/null")); }

// A FLOW_MOD (ADD, xid 1, no buffer, out_port ANY, out_group ANY) around our encodings.
Bytes encode_flow_mod(Version v, const FlowRule& rule) {
  return encoded([&](Writer& w) {
    w.u8(static_cast<std::uint8_t>(v));
    w.u8(14);  // OFPT_FLOW_MOD
    w.u16(0);  // length, patched below
    w.u32(1);  // xid
    w.u64(rule.cookie);
    w.u64(0);  // cookie_mask
    w.u8(rule.table);
    w.u8(0);   // OFPFC_ADD
    w.u32(0);  // idle and hard timeouts
    w.u16(rule.priority);
    w.u32(0xffffffff);  // buffer_id: none
    w.u32(0xffffffff);  // out_port: OFPP_ANY
    w.u32(0xffffffff);  // out_group: OFPG_ANY
    w.u32(0);           // flags, then pad (1.3) or importance (1.4+)
    encode_match(rule.match, v, w);
    encode_instructions(rule.actions, v, w);
    w.patch_length(2, 0);
  });
}

FlowRule decode_flow_mod(Version v, const Bytes& message) {
  Reader r(message, errors::brc_bad_len);
  EXPECT_EQ(r.u8(), static_cast<std::uint8_t>(v));
  EXPECT_EQ(r.u8(), 14);
  EXPECT_EQ(r.u16(), message.size());
  r.skip(4);
  FlowRule rule;
  rule.cookie = r.u64();
  r.skip(8);
  rule.table = r.u8();
  r.skip(5);
  rule.priority = r.u16();
  r.skip(16);
  rule.match = decode_match(r);
  rule.actions = decode_instructions(r, r.remaining(), v);
  return rule;
}

// The ofp_match of a FLOW_MOD: its bytes from offset 48, padding included.
Bytes match_bytes(const Bytes& flow_mod) {
  const std::size_t length = pad8(static_cast<std::size_t>(flow_mod.at(50) << 8 | flow_mod.at(51)));
  return Bytes(flow_mod.begin() + 48, flow_mod.begin() + 48 + static_cast<std::ptrdiff_t>(length));
}

// ---------------------------------------------------------------------------------------
// Malformed input: one line of malformed.txt per error path.

std::string ovs_error_for(const std::string& kind, Version v, const Bytes& bytes) {
  if (kind == "match") {
    FlowRule drop;
    Bytes message = encode_flow_mod(v, drop);
    message.resize(48);
    message.insert(message.end(), bytes.begin(), bytes.end());
    message[2] = static_cast<std::uint8_t>(message.size() >> 8);
    message[3] = static_cast<std::uint8_t>(message.size());
    const std::string line = ofp_print(message);
    const auto at = line.find("decode error: ");
    return at == std::string::npos ? "accepted" : line.substr(at + 14, line.find("***", at) - at - 14);
  }
  const std::string line = first_line(run("printf %s " + to_hex(bytes) + " | ovs-ofctl parse-" + kind + " " +
                                          std::string(to_string(v)) + " 2>/dev/null"));
  return line.starts_with("bad ") ? line.substr(line.rfind(' ') + 1) : "accepted";
}

TEST(OpenflowMalformed, EveryErrorPathHasItsTypedError) {
  const auto rows = read_table("malformed.txt", 6);
  EXPECT_GE(rows.size(), 80U);
  for (const auto& row : rows) {
    SCOPED_TRACE(row[0] + " " + row[1] + " " + row[2] + ": " + row[5]);
    const Version v = version_named(row[1]);
    const Bytes bytes = from_hex(row[2]);
    Reader r(bytes, errors::brc_bad_len);
    if (row[0] == "match") {
      expect_decode_error([&] { decode_match(r); }, row[3]);
    } else if (row[0] == "actions") {
      expect_decode_error([&] { decode_actions(r, bytes.size(), v); }, row[3]);
    } else {
      expect_decode_error([&] { decode_instructions(r, bytes.size(), v); }, row[3]);
    }
    if (have_ovs_ofctl()) {
      EXPECT_EQ(ovs_error_for(row[0], v, bytes), row[4]);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Complete FLOW_MODs against ovs-ofctl.

struct OracleCase {
  std::string name;
  std::vector<Version> versions;
  FlowRule rule;
  // ovs-ofctl text of the actions when FlowRule::to_string's differs; "-" when ovs-ofctl
  // cannot parse the flow at all (its encoding is then not recorded).
  std::string ovs_actions;
};

FlowRule rule(std::uint8_t table, std::uint16_t priority, std::uint64_t cookie, const char* match,
              std::vector<Action> actions) {
  return FlowRule{table, priority, cookie, Match::parse(match), std::move(actions)};
}

std::vector<OracleCase> oracle_cases() {
  using F = Field;
  const auto all = std::vector<Version>{Version::of13, Version::of14, Version::of15};
  const auto two = std::vector<Version>{Version::of13, Version::of15};
  return {
      {"tcp_group", all, rule(0, 40000, 0x5, "tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80", {GroupAction{1}}), ""},
      {"l2_vlan", two,
       rule(1, 100, 0x1, "in_port=3,dl_src=00:01:02:03:04:05,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,dl_vlan=5,"
            "dl_vlan_pcp=3",
            {sf(F::vlan_vid, "0x1007"), sf(F::vlan_pcp, "5"), PopVlanAction{}, sf(F::eth_src, "fa:16:3e:00:00:01"),
             sf(F::eth_dst, "fa:16:3e:00:00:02"), OutputAction{2, {}}}),
       // OVS reads `dl_vlan_pcp` as its OpenFlow 1.0 field, which has no OXM form.
       "set_field:4103->vlan_vid,set_field:5->vlan_pcp,pop_vlan,set_field:fa:16:3e:00:00:01->eth_src,"
       "set_field:fa:16:3e:00:00:02->eth_dst,output:2"},
      {"ipv4_udp", two,
       rule(2, 200, 0x2, "udp,nw_src=1.1.1.1,nw_dst=2.2.2.0/24,ip_dscp=10,nw_ecn=2,udp_src=1,udp_dst=0x100/0xff00",
            {sf(F::ipv4_src, "10.0.0.8"), sf(F::ipv4_dst, "10.0.0.9"), sf(F::ip_dscp, "46"), sf(F::ip_ecn, "1"),
             sf(F::udp_src, "5353"), sf(F::udp_dst, "53"), OutputAction{4, {}}}),
       "set_field:10.0.0.8->ip_src,set_field:10.0.0.9->ip_dst,set_field:46->ip_dscp,set_field:1->nw_ecn,"
       // OVS reads `tp_src`/`tp_dst` in set_field as the TCP ports.
       "set_field:5353->udp_src,set_field:53->udp_dst,output:4"},
      {"tunnel", two,
       rule(3, 300, 0x3, "tun_id=0x5/0xff,tun_dst=10.0.0.0/8,metadata=0x9/0xf0f",
            {sf(F::tun_id, "0x1234"), sf(F::tun_dst, "192.168.0.1"), sf(F::metadata, "7"), ResubmitAction{3}}), ""},
      {"tcp_flags_truncate", all,
       rule(4, 400, 0x4, "tcp,tp_src=1024/0xfc00,tcp_flags=+syn-ack",
            {sf(F::tcp_src, "8080"), sf(F::tcp_dst, "443"), OutputAction{2, 100}, OutputAction{port_local, 1500}}), ""},
      {"ipv6_sctp", two,
       rule(5, 500, 0x5, "sctp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=0x12340/0xffff0,sctp_src=1,"
            "sctp_dst=2",
            {sf(F::ipv6_src, "2001:db8::7"), sf(F::ipv6_dst, "2001:db8::8"), sf(F::ipv6_label, "0x54321"),
             sf(F::sctp_src, "7"), sf(F::sctp_dst, "8"), OutputAction{port_normal, {}}}),
       "set_field:2001:db8::7->ipv6_src,set_field:2001:db8::8->ipv6_dst,set_field:0x54321->ipv6_label,"
       "set_field:7->sctp_src,set_field:8->sctp_dst,output:NORMAL"},
      {"nd_sll", two,
       rule(6, 600, 0x6, "icmp6,icmpv6_type=135,icmpv6_code=0,nd_target=fe80::/64,nd_sll=00:00:00:00:00:03",
            {sf(F::nd_target, "fe80::9"), sf(F::nd_sll, "fa:16:3e:00:00:09"), OutputAction{port_in_port, {}}}), ""},
      {"nd_tll", two,
       rule(7, 700, 0x7, "icmp6,icmpv6_type=136,nd_target=::2,nd_tll=00:00:00:00:00:09/ff:ff:ff:00:00:00",
            {sf(F::nd_tll, "fa:16:3e:00:00:0a"), sf(F::icmpv6_type, "136"), sf(F::icmpv6_code, "0"),
             OutputAction{1, {}}}), ""},
      {"arp", two,
       rule(8, 800, 0x8, "arp,arp_op=1,arp_spa=1.1.1.1,arp_tpa=2.2.2.0/24,arp_sha=00:00:00:00:00:01,"
            "arp_tha=00:00:00:00:00:00/ff:ff:ff:00:00:00",
            {sf(F::arp_op, "2"), sf(F::arp_spa, "2.2.2.2"), sf(F::arp_tpa, "1.1.1.1"),
             sf(F::arp_sha, "fa:16:3e:00:00:02"), sf(F::arp_tha, "00:00:00:00:00:01"), OutputAction{port_in_port, {}}}),
       ""},
      {"mpls", two,
       rule(9, 900, 0x9, "mpls,mpls_label=5,mpls_tc=3,mpls_bos=1",
            {sf(F::mpls_label, "6"), sf(F::mpls_tc, "1"), OutputAction{1, {}}}), ""},
      {"icmp_controller", two,
       rule(10, 1000, 0xa, "icmp,icmp_type=8,icmp_code=0",
            {sf(F::icmpv4_type, "0"), sf(F::icmpv4_code, "0"), OutputAction{port_controller, {}}}), ""},
      {"push_vlan_qinq", two,
       rule(11, 1100, 0xb, "vlan_vid=0x1000/0x1000",
            {PushVlanAction{0x88a8}, sf(F::vlan_vid, "4196"), OutputAction{port_controller, 128}}),
       "push_vlan:0x88a8,set_field:4196->vlan_vid,CONTROLLER:128"},
      {"push_vlan_untagged", two,
       rule(12, 1200, 0xc, "vlan_vid=0", {PushVlanAction{0x8100}, sf(F::vlan_vid, "4097"), OutputAction{2, {}}}), ""},
      {"meter_first", all, rule(13, 1300, 0xd, "ip", {MeterAction{7}, OutputAction{2, {}}}), ""},
      // OVS decodes OFPAT_METER anywhere in OpenFlow 1.5, but its flow parser insists that
      // "meter must appear before apply_actions" even there.
      {"meter_last", {Version::of15}, rule(14, 1400, 0xe, "ip", {OutputAction{2, {}}, MeterAction{3}}), "-"},
      {"meter_only", two, rule(15, 1500, 0xf, "", {MeterAction{9}}), ""},
      {"drop", two, rule(200, 0, 0xfedcba9876543210, "", {}), ""},
  };
}

std::string version_suffix(Version v) { return std::to_string(static_cast<int>(v) + 9); }

// The flow text and the FLOW_MOD that `ovs-ofctl parse-flow` builds from it.
Bytes ovs_encoding(Version v, const std::string& flow) {
  const std::string dump = run("ovs-ofctl -O " + std::string(to_string(v)) + " parse-flow '" + flow + "' -mmmmm 2>&1");
  std::string hex;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() < 60 || line.find_first_not_of("0123456789abcdef") != 8) continue;
    for (char c : line.substr(10, 49)) {
      if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
    }
  }
  return from_hex(hex);
}

TEST(OpenflowOracle, FlowModsDecodeInOvsAsIntendedAndOvsEncodingsDecodeHere) {
  const bool regenerate = std::getenv("VTAP_REGENERATE_GOLDEN") != nullptr;
  if (regenerate && !have_ovs_ofctl()) GTEST_SKIP() << "VTAP_REGENERATE_GOLDEN needs ovs-ofctl";
  for (const OracleCase& c : oracle_cases()) {
    for (Version v : c.versions) {
      const std::string path = kDataDir + "flow_" + c.name + "_of" + version_suffix(v) + ".txt";
      SCOPED_TRACE(path);
      const Bytes ours = encode_flow_mod(v, c.rule);
      std::string flow = c.rule.to_string();
      if (c.ovs_actions == "-") flow = "-";
      if (!c.ovs_actions.empty() && flow != "-") flow = flow.substr(0, flow.find(",actions=") + 9) + c.ovs_actions;
      if (regenerate) {
        std::ofstream(path) << "# FlowRule " << c.rule.to_string() << " in " << to_string(v) << "\nhex: "
                            << to_hex(ours) << "\ntext: " << ofp_print(ours) << "\novs-flow: " << flow
                            << "\novs-hex: " << (flow == "-" ? "-" : to_hex(ovs_encoding(v, flow))) << "\n";
      }
      auto golden = read_keyed(path);
      ASSERT_EQ(golden.size(), 4U);
      EXPECT_EQ(to_hex(ours), golden["hex"]);
      EXPECT_EQ(golden["ovs-flow"], flow);
      EXPECT_NE(golden["text"].find("OFPT_FLOW_MOD"), std::string::npos);
      if (have_ovs_ofctl()) {
        EXPECT_EQ(ofp_print(ours), golden["text"]);
      }
      try {
        EXPECT_EQ(decode_flow_mod(v, from_hex(golden["hex"])), c.rule);
        if (flow == "-") continue;
        const Bytes theirs = from_hex(golden["ovs-hex"]);
        EXPECT_EQ(decode_flow_mod(v, theirs), c.rule);
        EXPECT_EQ(to_hex(match_bytes(theirs)), to_hex(match_bytes(ours)));
        if (have_ovs_ofctl()) {
          EXPECT_EQ(ofp_print(theirs), golden["text"]);
          EXPECT_EQ(to_hex(ovs_encoding(v, flow)), golden["ovs-hex"]);
        }
      } catch (const DecodeError& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace vtap::openflow
