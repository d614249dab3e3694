// One suite over both transports (native Asio codec and libopenvswitch): install the
// translator's plans of every rule kind into a real ovs-vswitchd (dummy datapath), read
// them back, reinstall without change, and have a refusal leave the switch as it was; on
// OpenFlow 1.3, 1.4 and 1.5 bridges.

#include <gtest/gtest.h>

#include <thread>

#include "libvtap/transport/transport.hpp"
#include "libvtap/native/native_transport.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/transport.hpp"
#endif
#include "ovs_process.hpp"
#include "plan_corpus.hpp"

namespace vtap {
namespace {

using openflow::Version;
using vtap::testing::OvsProcess;

std::shared_ptr<Transport> make_transport([[maybe_unused]] const std::string& name) {
#ifdef VTAP_WITH_OPENVSWITCH
  if (name == "openvswitch") return make_openvswitch_transport();
#endif
  return make_native_transport();
}

std::vector<std::string> transports() {
#ifdef VTAP_WITH_OPENVSWITCH
  return {"native", "openvswitch"};
#else
  return {"native"};
#endif
}

using Param = std::tuple<std::string, Version>;

class TransportTest : public vtap::testing::BasicOvsTest<::testing::TestWithParam<Param>> {
 protected:
  void SetUp() override {
    BasicOvsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(bridge("br0", 0x1234));
    transport_ = make_transport(std::get<0>(GetParam()));
  }
  bool bridge(const std::string& name, unsigned dpid) {
    return ovs_->add_bridge(name, dpid) &&
           ovs_->vsctl("set bridge " + name + " protocols=" + std::string(to_string(version())));
  }
  Version version() const { return std::get<1>(GetParam()); }
  std::unique_ptr<SwitchConnection> connect(const std::string& name = "br0", openflow::SessionOptions o = {}) {
    return transport_->connect(ovs_->mgmt(name), o);
  }
  std::vector<vtap::testing::CorpusPlan> corpus() const {
    auto plans = vtap::testing::plan_corpus(VTAP_EXAMPLES_DIR);
    // OpenFlow 1.3/1.4 cannot put a meter inside a group bucket; the translator never
    // does, so every plan fits every version.
    return plans;
  }

  std::shared_ptr<Transport> transport_;
};

// Each test starts its own ovs-vswitchd (ctest runs every test in its own process, and a
// start costs seconds), so each covers several things.
TEST_P(TransportTest, ConnectsReadsBothWaysCountsAndNamesAnUnreachableSwitch) {
  auto c = connect();
  EXPECT_EQ(c->version(), version());
  EXPECT_EQ(c->datapath_id(), 0x1234U);
  EXPECT_TRUE(c->is_open());
  EXPECT_EQ(c->target(), ovs_->mgmt("br0"));
  EXPECT_TRUE(c->read_state().empty());

  // Installed by one transport, read by both.
  const auto plans = corpus();
  const auto& plan = plans.front().plan;
  c->install(plan);
  for (const auto& name : transports()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(make_transport(name)->connect(ovs_->mgmt("br0"))->read_state(), plan);
  }

  const SwitchStats s = c->stats();
  EXPECT_EQ(s.flows.size(), plan.flows.size());
  ASSERT_EQ(s.groups.size(), plan.groups.size());
  for (std::size_t i = 0; i < s.groups.size(); ++i) {
    EXPECT_EQ(s.groups[i].group_id, plan.groups[i].group_id);
    EXPECT_EQ(s.groups[i].buckets.size(), plan.groups[i].buckets.size());
  }
  // (Not checked: is_open() right after close(); the native transport closes asynchronously.)
  c->close();

  // A bridge that speaks none of the offered versions.
  openflow::SessionOptions other;
  other.versions = {version() == Version::of15 ? Version::of13 : Version::of15};
  try {
    connect("br0", other);
    FAIL() << "connected without a common version";
  } catch (const TransportError& e) {
    // libopenvswitch's vconn reports EPROTO (mapped to version_mismatch) only when it reads
    // the switch's HELLO before the switch hangs up on it; otherwise the broken connection.
    if (std::get<0>(GetParam()) == "native" || e.code().category() != std::system_category()) {
      EXPECT_EQ(e.code(), openflow::make_error_code(openflow::SessionError::version_mismatch)) << e.what();
    }
    EXPECT_NE(std::string(e.what()).find(ovs_->mgmt("br0")), std::string::npos) << e.what();
  }

  try {
    transport_->connect("unix:" + ovs_->dir() + "/nothing.mgmt");
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("nothing.mgmt"), std::string::npos) << e.what();
  }
}

TEST_P(TransportTest, InstallsEveryPlanReadsItBackAndReinstallChangesNothing) {
  auto c = connect();
  for (const auto& [name, plan] : corpus()) {
    SCOPED_TRACE(name);
    const auto report = c->install(plan);
    EXPECT_FALSE(report.change.empty());
    EXPECT_EQ(c->read_state(), plan);
    EXPECT_TRUE(c->install(plan).change.empty());
  }
  c->install({});
  EXPECT_TRUE(c->read_state().empty());

  // A change larger than bundle_chunk goes in several bundles.
  openflow::SessionOptions o;
  o.bundle_chunk = 2;
  auto chunked = connect("br0", o);
  const auto fig4 = corpus().front();
  const auto& plan = fig4.plan;
  const auto report = chunked->install(plan);
  EXPECT_EQ(report.bundle.messages, report.change.bundle.size());
  EXPECT_EQ(report.bundle.bundles, (report.change.bundle.size() + 1) / 2);
  EXPECT_EQ(chunked->read_state(), plan);
}

// `n` tap flows into table 0, sorted: priority 100+i, tcp,tp_dst=1000+i.
SwitchPlan numbered_flows(std::uint16_t n) {
  SwitchPlan plan;
  for (std::uint16_t i = 0; i < n; ++i) {
    FlowRule r;
    r.priority = static_cast<std::uint16_t>(100 + i);
    r.cookie = make_cookie(RuleKind::tap, 900 + i);
    r.match = Match::parse("tcp,tp_dst=" + std::to_string(1000 + i));
    r.actions = {OutputAction{1, std::nullopt}};
    plan.flows.push_back(r);
  }
  std::sort(plan.flows.begin(), plan.flows.end());
  return plan;
}

TEST_P(TransportTest, ARefusedChangeThrowsNamesTheRuleAndLeavesTheSwitchAsItWas) {
  auto c = connect();
  const auto plans = corpus();
  const SwitchPlan& before = plans.front().plan;  // fig4/s1: two flows in table 0.
  c->install(before);
  ASSERT_TRUE(ovs_->vsctl("-- --id=@ft create Flow_Table flow_limit=3 overflow_policy=refuse "
                          "-- set bridge br0 flow_tables:0=@ft"));
  // A plan with more flows in table 0 than the limit.
  SwitchPlan big = before;
  for (const FlowRule& r : numbered_flows(4).flows) big.flows.push_back(r);
  std::sort(big.flows.begin(), big.flows.end());
  try {
    c->install(big);
    FAIL() << "the switch accepted more flows than its flow_limit";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), openflow::make_error_code(openflow::ErrorCode{openflow::error_type::flow_mod_failed, 1}))
        << e.code().message();
    ASSERT_TRUE(e.failed_index().has_value());
    ASSERT_TRUE(e.switch_error().has_value());
    EXPECT_EQ(e.switch_error()->code, (openflow::ErrorCode{openflow::error_type::flow_mod_failed, 1}));
    const std::string what = e.what();
    EXPECT_NE(what.find(ovs_->mgmt("br0")), std::string::npos) << what;
    EXPECT_NE(what.find("refusing flow"), std::string::npos) << what;
  }
  EXPECT_EQ(c->read_state(), before);
  EXPECT_EQ(connect()->read_state(), before);
}

// Sixty flows into table 0, to apply() in bundles of four (the libopenvswitch transport has
// several on the wire at once).
SwitchPlan sixty_flows() { return numbered_flows(60); }

// The flows of the first `n` messages of `change`.
SwitchPlan flows_of(const openflow::ChangeSet& change, std::size_t n) {
  SwitchPlan out;
  for (std::size_t i = 0; i < n; ++i) out.flows.push_back(std::get<openflow::FlowMod>(change.bundle[i]).rule);
  return out;
}

TEST_P(TransportTest, ARefusalAtTheCommitOfALaterBundleKeepsTheBundlesBeforeItAndNothingAfter) {
  openflow::SessionOptions o;
  o.bundle_chunk = 4;
  auto c = connect("br0", o);
  // Table 0 takes 21 flows: the bundle of flows 20…23 fails at its commit, on flow 21.
  ASSERT_TRUE(ovs_->vsctl("-- --id=@ft create Flow_Table flow_limit=21 overflow_policy=refuse "
                          "-- set bridge br0 flow_tables:0=@ft"));
  const openflow::ChangeSet change = openflow::diff({}, sixty_flows());
  try {
    c->apply(change);
    FAIL() << "the switch took 60 flows into a table limited to 21";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), openflow::make_error_code(openflow::ErrorCode{openflow::error_type::flow_mod_failed, 1}))
        << e.what();
    EXPECT_EQ(e.failed_index(), std::optional<std::size_t>(21)) << e.what();
  }
  EXPECT_EQ(c->read_state(), flows_of(change, 20));
  // The connection goes on.
  ASSERT_TRUE(ovs_->vsctl("clear bridge br0 flow_tables"));
  c->install(sixty_flows());
  EXPECT_EQ(c->read_state(), sixty_flows());
}

TEST_P(TransportTest, AnAddRefusedOnArrivalInALaterBundleKeepsTheBundlesBeforeItAndNothingAfter) {
  openflow::SessionOptions o;
  o.bundle_chunk = 4;
  auto c = connect("br0", o);
  // Table 254 is read-only: OVS refuses the add as it arrives, before any commit.
  SwitchPlan plan = sixty_flows();
  plan.flows[37].table = 254;
  const openflow::ChangeSet change = openflow::diff({}, plan);
  std::size_t bad = 0;
  while (std::get<openflow::FlowMod>(change.bundle[bad]).rule.table != 254) ++bad;
  try {
    c->apply(change);
    FAIL() << "the switch took a flow into its read-only table 254";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.failed_index(), std::optional<std::size_t>(bad)) << e.what();
    EXPECT_NE(std::string(e.what()).find("refusing flow"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c->read_state(), flows_of(change, bad - bad % 4));
  c->install(sixty_flows());
  EXPECT_EQ(c->read_state(), sixty_flows());
}

TEST_P(TransportTest, ConnectionsWorkFromSeveralThreadsAtOnce) {
  ASSERT_TRUE(bridge("br1", 0x99));
  const auto plans = corpus();
  std::vector<std::string> failures(2);
  auto work = [&](int i) {
    try {
      auto c = connect(i == 0 ? "br0" : "br1");
      for (int round = 0; round < 3; ++round)
        for (const auto& p : plans) {
          c->install(p.plan);
          if (c->read_state() != p.plan) failures[i] = p.name + " read back differently";
        }
    } catch (const std::exception& e) {
      failures[i] = e.what();
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(failures, std::vector<std::string>(2));
}

std::vector<Param> params() {
  std::vector<Param> out;
  for (const auto& t : transports())
    for (Version v : {Version::of13, Version::of14, Version::of15}) out.emplace_back(t, v);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Transports, TransportTest, ::testing::ValuesIn(params()),
                         [](const ::testing::TestParamInfo<Param>& p) {
                           return std::get<0>(p.param) + "_" + std::string(to_string(std::get<1>(p.param)));
                         });

}  // namespace
}  // namespace vtap
