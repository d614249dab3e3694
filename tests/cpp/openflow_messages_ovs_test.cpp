// Decoding what a real Open vSwitch sends: tests/data/openflow/messages/ovs_*_ofVV.txt were
// recorded by capture.py beside them, which starts a private ovs-vswitchd 3.1 (dummy
// datapath), installs flows/groups/meters with ovs-ofctl, sends it the messages libvtap
// encodes (the golden files) and writes down every reply. Each file is decoded here and
// checked against what the switch was given; when ovs-ofctl is on PATH, its ofp-print text
// of the reply is checked to be the recorded one too.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "golden.hpp"
#include "libvtap/openflow/messages.hpp"

namespace vtap::openflow {
namespace {

using golden::Bytes;
using golden::from_hex;

const std::string kDir = std::string(VTAP_TEST_DATA) + "/openflow/messages/";

struct Capture {
  std::vector<Bytes> sent;
  Bytes reply;
  std::string text;
};

Capture read_capture(const std::string& path) {
  Capture c;
  std::ifstream in(path);
  bool in_text = false;
  for (std::string line; std::getline(in, line);) {
    if (in_text) {
      c.text += line + "\n";
    } else if (line.starts_with("sent: ") && line != "sent: -") {
      std::istringstream words(line.substr(6));
      for (std::string w; words >> w;) c.sent.push_back(from_hex(w));
    } else if (line.starts_with("hex: ")) {
      c.reply = from_hex(line.substr(5));
    } else if (line == "text:") {
      in_text = true;
    }
  }
  return c;
}

template <typename T>
const T& as(const Frame& f) {
  const T* m = std::get_if<T>(&f.message);
  if (m == nullptr) throw std::runtime_error("decoded " + std::string(type_name(f.message)));
  return *m;
}
template <typename T>
const std::vector<T>& items(const Frame& f) {
  return std::get<std::vector<T>>(as<MultipartReply>(f).body);
}

using Check = std::function<void(const Frame&, const Capture&, Version)>;

std::map<std::string, Check> checks() {
  const auto xid_of = [](const Bytes& m) { return decode_header(m).xid; };
  return {
      {"hello",
       [](const Frame& f, const Capture& c, Version) {
         // OVS answers in the highest version it speaks, offering 1.3-1.5 in its bitmap.
         EXPECT_EQ(f.version, Version::of15);
         EXPECT_EQ(as<Hello>(f).versions, (std::vector<Version>{Version::of13, Version::of14, Version::of15}));
         EXPECT_EQ(negotiate_version(c.reply), Version::of15);
         // What we offered (one version) against what OVS offered: that one version.
         const auto ours = decode(c.sent.at(0));
         EXPECT_EQ(as<Hello>(ours).versions.size(), 1U);
         EXPECT_EQ(negotiate_version(c.sent.at(0)), as<Hello>(ours).versions.at(0));
       }},
      {"features_reply",
       [](const Frame& f, const Capture&, Version v) {
         const auto& r = as<FeaturesReply>(f);
         EXPECT_EQ(r.datapath_id, 0x1234U);
         EXPECT_EQ(r.n_tables, 254);
         EXPECT_EQ(r.n_buffers, 0U);
         EXPECT_EQ(r.auxiliary_id, 0);
         // FLOW, TABLE, PORT, GROUP and QUEUE stats; from 1.4 on also OFPC_BUNDLES (0x200).
         EXPECT_EQ(r.capabilities, v == Version::of13 ? 0x4fU : 0x24fU);
       }},
      {"multipart_port_desc_reply",
       [](const Frame& f, const Capture&, Version) {
         const auto& ports = items<PortDesc>(f);
         const auto find = [&](std::uint32_t no) { return std::find_if(ports.begin(), ports.end(), [&](auto& p) { return p.port_no == no; }); };
         ASSERT_NE(find(1), ports.end());
         EXPECT_EQ(find(1)->name, "p1");
         EXPECT_EQ(find(1)->hw_addr, MacAddress::parse("aa:55:aa:55:00:0f"));
         EXPECT_EQ(find(1)->state, 4U);  // OFPPS_LIVE
         ASSERT_NE(find(2), ports.end());
         EXPECT_EQ(find(2)->name, "p2");
         ASSERT_NE(find(port_local), ports.end());
         EXPECT_EQ(find(port_local)->name, "br0");
       }},
      {"multipart_flow_reply",
       [](const Frame& f, const Capture&, Version) {
         // Earlier versions' bundles added a flow of priority 40000 before this dump.
         const auto& all = items<FlowStats>(f);
         std::map<std::uint16_t, FlowStats> flows;
         for (const FlowStats& s : all) flows[s.rule.priority] = s;
         ASSERT_EQ(flows.size(), all.size());
         ASSERT_TRUE(flows.contains(100) && flows.contains(10));
         const FlowStats& tcp = flows[100];
         EXPECT_EQ(tcp.rule, (FlowRule{0, 100, 0x5, Match::parse("tcp,in_port=1,tp_dst=80"), {GroupAction{1}}}));
         EXPECT_EQ(tcp.idle_timeout, 60);
         EXPECT_EQ(tcp.packet_count, 0U);
         // A meter is an instruction before 1.5 and an action in 1.5: the model is the same.
         EXPECT_EQ(flows[10].rule, (FlowRule{1, 10, 0x6, Match::parse("ip"), {MeterAction{1}, OutputAction{2, {}}}}));
         EXPECT_LT(flows[10].duration_sec, 60U);
         if (flows.contains(40000)) {
           EXPECT_EQ(flows[40000].rule.actions, std::vector<Action>{GroupAction{1}});
           EXPECT_EQ(flows[40000].hard_timeout, 300);
         }
       }},
      {"multipart_group_reply",
       [](const Frame& f, const Capture&, Version) {
         const auto& groups = items<GroupStats>(f);
         ASSERT_EQ(groups.size(), 2U);
         for (const GroupStats& g : groups) {
           EXPECT_EQ(g.buckets.size(), 2U);
           // Flows using group 1: the tcp flow, and from 1.4 on the earlier bundles' flow.
           if (g.group_id == 1) {
             EXPECT_GE(g.ref_count, 1U);
           } else {
             EXPECT_EQ(g.ref_count, 0U);
           }
         }
       }},
      {"multipart_group_desc_reply",
       [](const Frame& f, const Capture&, Version v) {
         auto groups = items<GroupEntry>(f);
         std::sort(groups.begin(), groups.end(), [](auto& a, auto& b) { return a.group_id < b.group_id; });
         ASSERT_EQ(groups.size(), 2U);
         EXPECT_EQ(groups[0], (GroupEntry{1, GroupType::all, {Bucket{0, {OutputAction{1, {}}}}, Bucket{1, {OutputAction{2, {}}}}}}));
         // Installed with bucket ids 5 and 7: only 1.5 has them on the wire.
         const std::uint32_t first = v == Version::of15 ? 5 : 0;
         const std::uint32_t second = v == Version::of15 ? 7 : 1;
         EXPECT_EQ(groups[1], (GroupEntry{2, GroupType::select, {Bucket{first, {OutputAction{1, {}}}}, Bucket{second, {OutputAction{2, {}}}}}}));
       }},
      {"multipart_meter_config_reply",
       [](const Frame& f, const Capture&, Version) {
         // OVS reports burst_size = rate for a meter without OFPMF_BURST; that means no burst.
         EXPECT_EQ(items<MeterEntry>(f), (std::vector<MeterEntry>{MeterEntry{1, MeterEntry::Unit::pktps, 1000, 100},
                                                                 MeterEntry{2, MeterEntry::Unit::kbps, 5000, 0}}));
       }},
      {"multipart_meter_reply",
       [](const Frame& f, const Capture&, Version) {
         const auto& meters = items<MeterStats>(f);
         ASSERT_EQ(meters.size(), 2U);
         EXPECT_EQ(meters[0].meter_id, 1U);
         EXPECT_EQ(meters[0].flow_count, 1U);
         EXPECT_EQ(meters[0].bands.size(), 1U);
         EXPECT_EQ(meters[1].meter_id, 2U);
         EXPECT_EQ(meters[1].flow_count, 0U);
       }},
      {"echo_reply", [](const Frame& f, const Capture&, Version) { EXPECT_EQ(as<EchoReply>(f).data, (Bytes{1, 2, 3, 4})); }},
      {"error_group_exists",
       [](const Frame& f, const Capture& c, Version) {
         EXPECT_EQ(as<ErrorMessage>(f).code, errors::gmfc_group_exists);
         EXPECT_EQ(as<ErrorMessage>(f).data, c.sent.at(0));  // OVS returns the whole request.
       }},
      {"error_bad_len",
       [](const Frame& f, const Capture& c, Version) {
         EXPECT_EQ(as<ErrorMessage>(f).code, errors::brc_bad_len);
         EXPECT_EQ(as<ErrorMessage>(f).data, c.sent.at(0));
       }},
      {"bundle_open_reply",
       [](const Frame& f, const Capture&, Version) {
         EXPECT_EQ(as<BundleControl>(f), (BundleControl{7, BundleControlType::open_reply, 0}));
       }},
      {"bundle_failed_open_reply",
       [](const Frame& f, const Capture&, Version) {
         EXPECT_EQ(as<BundleControl>(f), (BundleControl{7, BundleControlType::open_reply, 0}));
       }},
      {"bundle_commit_reply",
       [](const Frame& f, const Capture&, Version) {
         EXPECT_EQ(as<BundleControl>(f), (BundleControl{7, BundleControlType::commit_reply, 0}));
       }},
      {"bundle_failed_0",
       [xid_of](const Frame& f, const Capture& c, Version) {
         // The failing message is reported with the bundle add's xid and bytes.
         const auto& e = as<ErrorMessage>(f);
         EXPECT_EQ(e.code, errors::gmfc_group_exists);
         EXPECT_EQ(f.xid, xid_of(c.sent.at(1)));
         EXPECT_EQ(e.data, c.sent.at(1));
         EXPECT_EQ(as<GroupMod>(Frame{f.version, 0, std::get<GroupMod>(as<BundleAdd>(decode(e.data)).message)}).group.group_id, 2U);
       }},
      {"bundle_failed_1",
       [xid_of](const Frame& f, const Capture& c, Version) {
         // Then the commit fails; in 1.3 as ONF experimenter error 2313.
         EXPECT_EQ(as<ErrorMessage>(f).code, errors::bfc_msg_failed);
         EXPECT_EQ(as<ErrorMessage>(f).experimenter, 0U);
         EXPECT_EQ(f.xid, xid_of(c.sent.at(2)));
         EXPECT_EQ(as<BundleControl>(decode(as<ErrorMessage>(f).data)).type, BundleControlType::commit_request);
       }},
      {"port_status",
       [](const Frame& f, const Capture&, Version v) {
         const auto& s = as<PortStatus>(f);
         EXPECT_EQ(s.reason, PortStatus::Reason::add);
         EXPECT_EQ(s.desc.port_no, static_cast<std::uint32_t>(v) + 10);
         EXPECT_EQ(s.desc.name, "p" + std::to_string(static_cast<int>(v)));
       }},
  };
}

TEST(OpenflowMessagesOvs, RepliesOfARealSwitchDecode) {
  const auto all = checks();
  std::size_t decoded = 0;
  for (const auto& [what, check] : all) {
    for (Version v : {Version::of13, Version::of14, Version::of15}) {
      const std::string path = kDir + "ovs_" + what + "_of1" + std::to_string(static_cast<int>(v) - 1) + ".txt";
      SCOPED_TRACE(path);
      ASSERT_TRUE(std::filesystem::exists(path));
      const Capture c = read_capture(path);
      ASSERT_FALSE(c.reply.empty());
      try {
        const Frame f = decode(c.reply);
        if (what != "hello") {
          EXPECT_EQ(f.version, v);
        }
        // A reply has the xid of the request (the bundle checks say which one).
        if (!c.sent.empty() && what != "hello" && !what.starts_with("bundle_failed_")) {
          EXPECT_EQ(f.xid, decode_header(c.sent.back()).xid);
        }
        check(f, c, v);
        // What we decoded we can say again: re-encoding gives bytes that decode the same.
        EXPECT_TRUE(decode(encode(f.message, f.version, f.xid)).message == f.message);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
      if (golden::have_ovs_ofctl()) {
        EXPECT_EQ(golden::ofp_print_all(c.reply), c.text);
      }
      ++decoded;
    }
  }
  EXPECT_EQ(decoded, 3 * all.size());
}

}  // namespace
}  // namespace vtap::openflow
