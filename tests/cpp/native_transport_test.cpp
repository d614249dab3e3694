// The native Transport against a real ovs-vswitchd: install, idempotence, counters, and a
// refusal in a later bundle chunk that install() rolls back completely.

#include <gtest/gtest.h>

#include "libvtap/model/json.hpp"
#include "libvtap/transport/transport.hpp"
#include "libvtap/native/native_transport.hpp"
#include "libvtap/translate/translator.hpp"
#include "ovs_process.hpp"

namespace vtap {
namespace {

using vtap::testing::OvsProcess;

class NativeTransportTest : public vtap::testing::OvsTest {
 protected:
  void SetUp() override {
    BasicOvsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(ovs_->add_bridge("s1", 1));
    Translator t(load_topology(std::string(VTAP_TEST_DATA) + "/../../examples/fig4/topology.json"));
    for (const auto& p : load_policies(std::string(VTAP_TEST_DATA) + "/../../examples/fig4/policies.json")) t.add(p);
    plan_ = t.plan("s1");
    ASSERT_FALSE(plan_.flows.empty());
  }

  std::shared_ptr<Transport> transport_ = make_native_transport();
  SwitchPlan plan_;
};

TEST_F(NativeTransportTest, InstallsThePlanOnceAndReadsItBack) {
  auto c = transport_->connect(ovs_->mgmt("s1"));
  EXPECT_EQ(c->datapath_id(), 1u);
  EXPECT_EQ(c->version(), openflow::Version::of15);
  const auto first = c->install(plan_);
  EXPECT_EQ(first.change.flows_added, plan_.flows.size());
  EXPECT_EQ(first.change.groups_added, plan_.groups.size());
  EXPECT_EQ(c->read_state(), plan_);
  EXPECT_TRUE(c->install(plan_).change.empty());

  const SwitchStats stats = c->stats();
  EXPECT_EQ(stats.flows.size(), plan_.flows.size());
  EXPECT_EQ(stats.groups.size(), plan_.groups.size());
  for (const auto& g : stats.groups) EXPECT_EQ(g.buckets.size(), 2u) << "group " << g.group_id;

  EXPECT_TRUE(c->install(SwitchPlan{}).change.flows_deleted == plan_.flows.size());
  EXPECT_TRUE(c->read_state().empty());
}

TEST_F(NativeTransportTest, ARefusalInALaterChunkLeavesTheSwitchAsItWas) {
  openflow::SessionOptions one_per_bundle;
  one_per_bundle.bundle_chunk = 1;
  auto c = transport_->connect(ovs_->mgmt("s1"), one_per_bundle);
  // Room for every flow but the last: groups and earlier flows commit, the last is refused.
  ASSERT_TRUE(ovs_->vsctl("-- --id=@ft create Flow_Table flow_limit=" + std::to_string(plan_.flows.size() - 1) +
                          " overflow_policy=refuse -- set bridge s1 flow_tables:0=@ft"));
  try {
    c->install(plan_);
    FAIL() << "the switch accepted more flows than its table holds";
  } catch (const TransportError& e) {
    EXPECT_EQ(openflow::to_error_code(e.code()), (openflow::ErrorCode{openflow::error_type::flow_mod_failed, 1})) << e.what();  // OFPFMFC_TABLE_FULL
    ASSERT_TRUE(e.failed_index().has_value());
    EXPECT_NE(std::string(e.what()).find("refusing flow"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(c->read_state().empty()) << "a refused install left rules behind";
}

TEST_F(NativeTransportTest, UnreachableSwitchesAndBadTargetsAreClearErrors) {
  EXPECT_THROW(transport_->connect("tcp:not-an-ip"), ParseError);
  try {
    transport_->connect("unix:" + ovs_->dir() + "/nothing.mgmt");
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("nothing.mgmt: cannot connect"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vtap
