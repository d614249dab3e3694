// libvtap on a bridge another controller also programs, over both transports: that
// controller's flows, groups and meters stay byte-identical (ovs-ofctl is the oracle),
// copies arrive, a refusal in a later bundle chunk leaves nothing of libvtap's behind, and
// an id in libvtap's ranges that the other controller uses is named before anything is sent.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "libvtap/transport/transport.hpp"
#include "libvtap/native/native_transport.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/transport.hpp"
#endif
#include "ovs_process.hpp"
#include "policy_fixtures.hpp"

namespace vtap {
namespace {

using openflow::Version;
using namespace vtap::testing;

using Param = std::tuple<std::string, Version>;

std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen((command + " 2>&1").c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

// Records in a pcap file (24-byte file header, then a 16-byte header per record).
std::size_t pcap_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::size_t n = 0;
  for (std::size_t at = 24; at + 16 <= bytes.size(); ++n) {
    std::uint32_t incl = 0;
    std::memcpy(&incl, bytes.data() + at + 8, 4);
    at += 16 + incl;
  }
  return n;
}

class SharedBridgeTest : public BasicOvsTest<::testing::TestWithParam<Param>> {
 protected:
  void SetUp() override {
    BasicOvsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(ovs_->add_bridge("s1", 1));
    ASSERT_TRUE(ovs_->vsctl("set bridge s1 protocols=" + std::string(to_string(version()))));
    for (int port = 1; port <= 4; ++port)
      ASSERT_TRUE(ovs_->vsctl("add-port s1 p" + std::to_string(port) + " -- set interface p" + std::to_string(port) +
                              " type=dummy ofport_request=" + std::to_string(port) + " options:tx_pcap=" + pcap(port)));
#ifdef VTAP_WITH_OPENVSWITCH
    if (std::get<0>(GetParam()) == "openvswitch") transport_ = make_openvswitch_transport();
#endif
    if (!transport_) transport_ = make_native_transport();
    // The other controller: groups 1-3, meters 1-2, and flows that use them.
    for (int g = 1; g <= 3; ++g)
      ofctl("add-group s1 group_id=" + std::to_string(g) + ",type=all,bucket=output:" + std::to_string(g));
    for (int m = 1; m <= 2; ++m) ofctl("add-meter s1 meter=" + std::to_string(m) + ",pktps,band=type=drop,rate=100");
    ofctl("add-flow s1 cookie=0x1,priority=10,in_port=4,actions=meter:1,group:1");
    ofctl("add-flow s1 cookie=0x2,table=1,priority=10,actions=meter:2,group:2");
    ofctl("add-flow s1 cookie=0x3,table=1,priority=20,tcp,actions=group:3");
    // And what libvtap's model cannot hold, as OVN writes: registers, conntrack, NAT in a
    // select group (a load balancer).
    ofctl("add-group s1 'group_id=4,type=select,bucket=weight:100,actions=ct(commit,table=2,zone=1,nat(dst=10.0.0.5:80))'");
    ofctl("add-flow s1 'cookie=0x4,table=1,priority=30,ip,reg13=0x5,actions=load:0x1->NXM_NX_REG10[0],group:4'");
    foreign_ = snapshot();
  }

  Version version() const { return std::get<1>(GetParam()); }
  std::string pcap(int port) const { return ovs_->dir() + "/p" + std::to_string(port) + ".pcap"; }
  std::string ofctl(const std::string& args) const {
    return output_of("ovs-ofctl -O " + std::string(to_string(version())) + " " +
                     std::string(args).replace(args.find("s1"), 2, ovs_->mgmt("s1")));
  }
  // Everything on the bridge that is not libvtap's, counters left out, sorted (OVS dumps
  // groups and meters in hash order). libvtap's ids start at 0xe0000000 = 3758096384.
  std::string snapshot() const {
    std::vector<std::string> items;
    std::istringstream flows(ofctl("--no-stats --sort dump-flows s1"));
    for (std::string line; std::getline(flows, line);)
      if (line.find("cookie=0x7674") == std::string::npos) items.push_back(line);
    std::istringstream groups(ofctl("dump-groups s1"));
    for (std::string line; std::getline(groups, line);)
      if (!line.starts_with("OFPST") && line.find("group_id=37") == std::string::npos) items.push_back(line);
    // A meter is a block of lines from "meter=ID"; reply headers (one per part) go.
    std::istringstream meters(ofctl("dump-meters s1"));
    std::string block;
    for (std::string line; std::getline(meters, line);) {
      if (line.starts_with("meter=") || line.starts_with("OFPST")) {
        if (!block.empty() && !block.starts_with("meter=37")) items.push_back(block);
        block.clear();
      }
      if (!line.starts_with("OFPST") && !line.empty()) block += line + "\n";
    }
    if (!block.empty() && !block.starts_with("meter=37")) items.push_back(block);
    std::sort(items.begin(), items.end());
    std::string out;
    for (const auto& i : items) out += i + "\n";
    return out;
  }
  std::unique_ptr<SwitchConnection> connect(openflow::SessionOptions o = {}) {
    return transport_->connect(ovs_->mgmt("s1"), o);
  }
  void receive(const std::string& packet) {
    ASSERT_TRUE(ovs_->run("ovs-appctl --target=" + ovs_->dir() + "/ovs-vswitchd.$(cat " + ovs_->dir() +
                          "/vswitchd.pid).ctl netdev-dummy/receive p1 '" + packet + "'"));
  }

  std::shared_ptr<Transport> transport_;
  std::string foreign_;
};

TEST_P(SharedBridgeTest, AnotherControllersStateStaysByteIdenticalWhileCopiesArrive) {
  ASSERT_NE(foreign_.find("group_id=3"), std::string::npos) << foreign_;
  ASSERT_NE(foreign_.find("meter=2"), std::string::npos) << foreign_;
  ASSERT_NE(foreign_.find("nat(dst=10.0.0.5:80)"), std::string::npos) << foreign_;
  // Policies 1-3, the ids the other controller gave its groups; two of them rate-limited.
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}, {4, 1}}));
  t.add(policy(1, 1, 2, 3, "tcp,tp_dst=80"));
  TapPolicy limited = policy(2, 2, 1, 4, "udp");
  limited.rate_limit = RateLimit{RateLimit::Unit::pktps, 1000, 0};
  t.add(limited);
  limited = policy(3, 1, 2, 4, "icmp");
  limited.rate_limit = RateLimit{RateLimit::Unit::kbps, 1000, 0};
  t.add(limited);
  const SwitchPlan plan = t.plan("s1");
  ASSERT_EQ(plan.meters.size(), 2U);

  auto c = connect();
  c->install(plan);
  EXPECT_EQ(c->read_state(), plan);
  EXPECT_EQ(snapshot(), foreign_);
  receive("in_port(1),eth(src=fa:00:00:00:00:01,dst=fa:00:00:00:00:02),eth_type(0x0800),"
          "ipv4(src=10.1.1.1,dst=10.1.1.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=80)");
  EXPECT_EQ(pcap_records(pcap(2)), 1U) << "the original";
  EXPECT_EQ(pcap_records(pcap(3)), 1U) << "the copy";

  EXPECT_TRUE(c->install(plan).change.empty());
  c->install({});
  EXPECT_TRUE(c->read_state().empty());
  EXPECT_EQ(snapshot(), foreign_);
}

TEST_P(SharedBridgeTest, ARefusalInALaterChunkLeavesNothingAndTheRetryInstallsEverything) {
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}));
  for (std::uint32_t id = 1; id <= 3000; ++id) t.add(policy(id, 1, 2, 3, "tcp,tp_dst=" + std::to_string(id)));
  const SwitchPlan plan = t.plan("s1");
  ASSERT_TRUE(ovs_->vsctl("-- --id=@ft create Flow_Table flow_limit=2000 overflow_policy=refuse "
                          "-- set bridge s1 flow_tables:0=@ft"));
  openflow::SessionOptions o;
  o.bundle_chunk = 4000;  // 3000 groups and 1000 flows commit; the next 2000 flows are refused
  auto c = connect(o);
  try {
    c->install(plan);
    FAIL() << "the switch took 3000 flows into a table limited to 2000";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("put back as it was"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(c->read_state().empty());
  EXPECT_EQ(ofctl("dump-groups s1").find("group_id=37"), std::string::npos) << "groups of the committed chunk remain";
  EXPECT_EQ(snapshot(), foreign_);

  ASSERT_TRUE(ovs_->vsctl("clear bridge s1 flow_tables"));
  const auto report = c->install(plan);
  EXPECT_EQ(report.change.groups_added, 3000U);
  EXPECT_EQ(report.change.flows_added, 3000U);
  EXPECT_EQ(c->read_state(), plan);
  EXPECT_EQ(snapshot(), foreign_);
}

TEST_P(SharedBridgeTest, AnIdInTheRangeThatAnotherControllerUsesIsNamedAndNothingIsSent) {
  Translator t(line(1, {{1, 1}, {2, 1}, {3, 1}}));
  t.add(policy(1, 1, 2, 3, "tcp"));
  const SwitchPlan plan = t.plan("s1");
  const std::uint32_t ours = plan.groups.at(0).group_id;

  // An orphan in libvtap's range (no rule uses it) is libvtap's: the next install removes it.
  ofctl("add-group s1 group_id=" + std::to_string(ours + 9) + ",type=all,bucket=output:1");
  auto c = connect();
  EXPECT_EQ(c->read_state().groups.size(), 1U);
  EXPECT_EQ(c->install(plan).change.groups_deleted, 1U);
  EXPECT_EQ(c->read_state(), plan);
  c->install({});

  // The other controller strays into the range: its flow uses the group policy 1 would get.
  ofctl("add-group s1 group_id=" + std::to_string(ours) + ",type=all,bucket=output:2");
  ofctl("add-flow s1 'cookie=0x7,priority=5,ip,in_port=3,reg0=0x1,actions=ct(commit),group:" + std::to_string(ours) + "'");
  const std::string before = ofctl("--no-stats --sort dump-flows s1") + ofctl("dump-groups s1");
  try {
    c->install(plan);
    FAIL() << "overwrote another controller's group";
  } catch (const OwnershipError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("group 0xe0000000 is used by flow"), std::string::npos) << what;
    EXPECT_NE(what.find("cookie=0x7"), std::string::npos) << what;
  }
  EXPECT_EQ(ofctl("--no-stats --sort dump-flows s1") + ofctl("dump-groups s1"), before);

  // A meter in the range that another controller's flow uses is never deleted as an orphan.
  ofctl("del-flows s1 cookie=0x7/-1");
  ofctl("del-groups s1 group_id=" + std::to_string(ours));
  ofctl("add-meter s1 meter=" + std::to_string(default_meter_range.first + 4) + ",pktps,band=type=drop,rate=5");
  ofctl("add-flow s1 cookie=0x5,priority=5,in_port=3,actions=meter:" + std::to_string(default_meter_range.first + 4) +
        ",output:1");
  try {
    c->install(plan);
    FAIL() << "deleted another controller's meter";
  } catch (const OwnershipError& e) {
    EXPECT_NE(std::string(e.what()).find("meter 0xe0000004 is used by flow"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(c->read_state().flows.empty());
}

std::vector<Param> params() {
  std::vector<Param> out;
  for (Version v : {Version::of13, Version::of15}) {
    out.emplace_back("native", v);
#ifdef VTAP_WITH_OPENVSWITCH
    out.emplace_back("openvswitch", v);
#endif
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Transports, SharedBridgeTest, ::testing::ValuesIn(params()),
                         [](const ::testing::TestParamInfo<Param>& p) {
                           return std::get<0>(p.param) + "_" + std::string(to_string(std::get<1>(p.param)));
                         });

}  // namespace
}  // namespace vtap
