// The Service against real ovs-vswitchd processes: lifecycle, tenants, make-before-break,
// refusal with nothing partial, drift repair, restart of the service (zero modifications)
// and of the switch daemon (kill -9, repeatedly, under a stream of changes), random changes
// sent as deltas, counters.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "libvtap/model/json.hpp"
#include "libvtap/service/service.hpp"
#include "libvtap/translate/transition.hpp"
#include "libvtap/native/native_transport.hpp"
#include "ovs_process.hpp"

namespace vtap {
namespace {

using vtap::testing::OvsProcess;
using Kind = ServiceEvent::Kind;

Endpoint host(const char* mac) { return Endpoint{MacAddress::parse(mac), std::nullopt, false}; }

TapPolicy policy(const char* sender, const char* receiver, const char* monitor, const char* filter = "tcp") {
  TapPolicy p;
  p.tenant = "t1";
  p.sender = host(sender);
  p.receiver = host(receiver);
  p.monitor = host(monitor);
  p.filter = Match::parse(filter);
  return p;
}

constexpr const char* vm1 = "fa:00:00:00:00:01";
constexpr const char* vm2 = "fa:00:00:00:00:02";
constexpr const char* vm3 = "fa:00:00:00:00:03";
constexpr const char* vm4 = "fa:00:00:00:00:04";
constexpr const char* vm5 = "fa:00:00:00:00:05";  // tenant t2

class ServiceTest : public vtap::testing::OvsTest {
 protected:
  void SetUp() override {
    BasicOvsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(ovs_->add_bridge("s1", 1) && ovs_->add_bridge("s2", 2));
    topology_ = load_topology(std::string(VTAP_TEST_DATA) + "/../../examples/fig4/topology.json");
    topology_.add_host(Host{"vm5", MacAddress::parse(vm5), Ipv4Address::parse("10.1.1.5"), std::nullopt, "s2", 5, "t2"});
    targets_ = {{"s1", ovs_->mgmt("s1")}, {"s2", ovs_->mgmt("s2")}};
    store_path_ = ovs_->dir() + "/policies.json";
  }

  std::unique_ptr<Service> make_service() {
    ServiceOptions options;
    options.store = make_file_store(store_path_);
    auto service = std::make_unique<Service>(topology_, targets_, transport_, options);
    service->on_event([this](const ServiceEvent& e) { events_.push_back(e); });
    return service;
  }

  // What each switch holds of libvtap's state, read over a connection of our own.
  Plan state() {
    Plan out;
    for (const auto& [name, target] : targets_) {
      SwitchPlan sp = transport_->connect(target)->read_state();
      if (!sp.empty()) out.switches.emplace(name, std::move(sp));
    }
    return out;
  }

  std::size_t count(Kind kind) const {
    return std::count_if(events_.begin(), events_.end(), [&](const ServiceEvent& e) { return e.kind == kind; });
  }

  std::shared_ptr<Transport> transport_ = make_native_transport();
  Topology topology_;
  std::map<std::string, std::string> targets_;
  std::string store_path_;
  std::vector<ServiceEvent> events_;
};

TEST_F(ServiceTest, PoliciesGoOnEverySwitchAndComeOffAgain) {
  auto service = make_service();
  const auto id1 = service->add(policy(vm1, vm2, vm3, "tcp,tp_dst=80"));
  const auto id2 = service->add(policy(vm2, vm1, vm4));
  EXPECT_EQ(id1, 1u);
  EXPECT_EQ(id2, 2u);
  EXPECT_EQ(state(), service->plan());
  EXPECT_EQ(service->plan().switches.size(), 2u);
  EXPECT_EQ(service->list().size(), 2u);
  EXPECT_EQ(count(Kind::applied), 2u);

  auto changed = *service->get(id1);
  changed.filter = Match::parse("udp");
  service->modify(changed);
  EXPECT_EQ(service->get(id1)->filter, Match::parse("udp"));
  EXPECT_EQ(state(), service->plan());

  service->remove(id1);
  service->remove(id2);
  EXPECT_TRUE(state().switches.empty());
  EXPECT_FALSE(service->get(id1));
  EXPECT_THROW(service->remove(id1), Error);
}

TEST_F(ServiceTest, ReconciliationRemovesOrphansInItsRangesAndNeverTouchesAnotherControllersIds) {
  auto service = make_service();
  service->add(policy(vm1, vm2, vm4, "tcp,tp_dst=80"));  // on s1 only
  const std::string s1 = "ovs-ofctl -O OpenFlow15 ";
  // An orphan group in libvtap's range (left by a crash, say) is removed by the next pass.
  ASSERT_TRUE(ovs_->run(s1 + "add-group " + ovs_->mgmt("s1") + " group_id=3758096482,type=all,bucket=output:1"));
  EXPECT_EQ(service->reconcile(), 1u);
  EXPECT_EQ(state(), service->plan());

  // Another controller strays into the range: its flow uses a group id libvtap owns. The
  // service reports it and leaves that switch alone; the change that needs s1 fails whole.
  ASSERT_TRUE(ovs_->run(s1 + "add-group " + ovs_->mgmt("s1") + " group_id=3758096483,type=all,bucket=output:2"));
  ASSERT_TRUE(ovs_->run(s1 + "add-flow " + ovs_->mgmt("s1") + " cookie=0x9,priority=1,actions=group:3758096483"));
  events_.clear();
  EXPECT_EQ(service->reconcile(), 0u);
  ASSERT_EQ(count(Kind::failed), 1u);
  EXPECT_NE(events_.back().detail.find("group 0xe0000063 is used by flow"), std::string::npos) << events_.back().detail;
  const auto before = service->list();
  EXPECT_THROW(service->add(policy(vm1, vm2, vm4, "udp")), OwnershipError);
  EXPECT_EQ(service->list().size(), before.size());
  EXPECT_TRUE(ovs_->run(s1 + "dump-groups " + ovs_->mgmt("s1") + " | grep -q group_id=3758096483"));
}

// Around a real transport: records the changes each switch is sent, one per apply().
class RecordingTransport : public Transport {
 public:
  explicit RecordingTransport(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}
  std::string_view name() const noexcept override { return inner_->name(); }
  std::unique_ptr<SwitchConnection> connect(std::string_view target, const openflow::SessionOptions& o) override {
    return std::make_unique<Connection>(inner_->connect(target, o), applied[std::string(target)]);
  }
  std::map<std::string, std::vector<openflow::ChangeSet>> applied;  // by target

 private:
  class Connection : public SwitchConnection {
   public:
    Connection(std::unique_ptr<SwitchConnection> c, std::vector<openflow::ChangeSet>& log)
        : c_(std::move(c)), log_(log) {}
    const std::string& target() const noexcept override { return c_->target(); }
    std::uint64_t datapath_id() const noexcept override { return c_->datapath_id(); }
    openflow::Version version() const noexcept override { return c_->version(); }
    bool is_open() const noexcept override { return c_->is_open(); }
    void close() noexcept override { c_->close(); }
    std::vector<FlowRule> read_flows(std::uint64_t cookie, std::uint64_t mask) override {
      return c_->read_flows(cookie, mask);
    }
    std::vector<GroupEntry> read_groups() override { return c_->read_groups(); }
    std::vector<MeterEntry> read_meters() override { return c_->read_meters(); }
    SwitchStats stats() override { return c_->stats(); }
    openflow::BundleResult apply(const openflow::ChangeSet& change) override {
      log_.push_back(change);
      return c_->apply(change);
    }

   private:
    std::unique_ptr<SwitchConnection> c_;
    std::vector<openflow::ChangeSet>& log_;
  };
  std::shared_ptr<Transport> inner_;
};

TEST_F(ServiceTest, AChangeConfinedToOneSwitchIsOneAtomicBundle) {
  auto recording = std::make_shared<RecordingTransport>(transport_);
  Service service(topology_, targets_, recording);
  // vm1 and vm4 are on s1, vm2 behind s2: the tap, its group and the copy's rule are all s1's.
  const auto id = service.add(policy(vm1, vm2, vm4));
  ASSERT_EQ(service.plan().switches.size(), 1u);
  auto& s1 = recording->applied[targets_.at("s1")];
  ASSERT_EQ(s1.size(), 1u) << "a change on one switch was split into several commits";
  EXPECT_EQ(s1[0].groups_added, 1u);
  EXPECT_GE(s1[0].flows_added, 1u);
  EXPECT_EQ(state(), service.plan());
  service.remove(id);
  EXPECT_EQ(s1.size(), 2u);
  EXPECT_TRUE(state().switches.empty());
  // A policy across both switches still goes make-before-break: s2's recovery rule in one
  // step, s1's tap in a later one.
  service.add(policy(vm1, vm2, vm3));
  EXPECT_EQ(recording->applied[targets_.at("s2")].size(), 1u);
  EXPECT_GE(s1.size(), 3u);
  EXPECT_EQ(state(), service.plan());
}

TEST_F(ServiceTest, InvalidPoliciesAndOtherTenantsChangeNothing) {
  auto service = make_service();
  service->add(policy(vm1, vm2, vm3));
  const Plan before = state();
  // Another tenant's monitor: refused before anything is sent, naming the field.
  try {
    service->add(policy(vm1, vm2, vm5), Caller::of_tenant("t1"));
    FAIL() << "a t1 caller tapped into t2's monitor";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.field(), "monitor");
    EXPECT_NE(std::string(e.what()).find("vm5 belongs to tenant \"t2\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(service->add(policy(vm1, vm2, "fa:00:00:00:00:99")), PolicyError);
  // A tenant sees and removes only its own policies.
  EXPECT_TRUE(service->list(Caller::of_tenant("t2")).empty());
  EXPECT_THROW(service->remove(1, Caller::of_tenant("t2")), Error);
  EXPECT_EQ(service->add(policy(vm1, vm2, vm4), Caller::of_tenant("t1")), 2u);
  EXPECT_EQ(service->list(Caller::of_tenant("t1")).size(), 2u);
  service->remove(2, Caller::of_tenant("t1"));
  EXPECT_EQ(state(), before);
}

TEST_F(ServiceTest, ASwitchThatRefusesLeavesEverySwitchAsItWas) {
  auto service = make_service();
  service->add(policy(vm1, vm2, vm3, "tcp,tp_dst=80"));
  const Plan before = state();
  // s2 takes no more flows: the recovery rule of a new policy (first step) is refused there.
  const std::size_t held = before.switches.at("s2").flows.size();
  ASSERT_TRUE(ovs_->vsctl("-- --id=@ft create Flow_Table flow_limit=" + std::to_string(held) +
                          " overflow_policy=refuse -- set bridge s2 flow_tables:0=@ft"));
  try {
    service->add(policy(vm1, vm2, vm3, "udp"));  // new stream to vm3 ... but shares the mark
    service->add(policy(vm2, vm1, vm4, "udp"));  // s2 needs a new rewriting rule: refused
    FAIL() << "s2 accepted more flows than its table holds";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("OFPFMFC_TABLE_FULL"), std::string::npos) << e.what();
  }
  EXPECT_EQ(state(), service->plan());
  EXPECT_EQ(count(Kind::failed), 1u);
}

TEST_F(ServiceTest, ReconcileRepairsDriftAndTouchesNothingElse) {
  auto service = make_service();
  service->add(policy(vm1, vm2, vm3));
  EXPECT_EQ(service->reconcile(), 0u);
  // Someone deletes our flows on s2 and adds one of their own.
  ASSERT_TRUE(ovs_->run("ovs-ofctl -O OpenFlow15 del-flows " + ovs_->mgmt("s2") +
                        " cookie=0x7674000000000000/0xffff000000000000"));
  ASSERT_TRUE(ovs_->run("ovs-ofctl -O OpenFlow15 add-flow " + ovs_->mgmt("s2") + " priority=5,actions=drop"));
  EXPECT_GT(service->reconcile(), 0u);
  EXPECT_EQ(count(Kind::drift_repaired), 1u);
  EXPECT_EQ(state(), service->plan());
  EXPECT_TRUE(ovs_->run("ovs-ofctl -O OpenFlow15 dump-flows " + ovs_->mgmt("s2") + " | grep -q 'priority=5 actions=drop'"));
}

TEST_F(ServiceTest, ARestartedServiceReconcilesWithZeroModifications) {
  {
    auto service = make_service();
    service->add(policy(vm1, vm2, vm3, "tcp,tp_dst=80"));
    service->add(policy(vm2, vm1, vm4));
  }
  events_.clear();
  auto again = make_service();
  EXPECT_EQ(again->list().size(), 2u);
  EXPECT_EQ(again->reconcile(), 0u);
  EXPECT_EQ(count(Kind::switch_connected), 2u);
  EXPECT_EQ(state(), again->plan());
  // Ids continue after the persisted ones.
  EXPECT_EQ(again->add(policy(vm1, vm2, vm4, "udp")), 3u);
}

TEST_F(ServiceTest, SwitchDaemonKilledRepeatedlyUnderChangesEndsWithExactlyThePlan) {
  auto service = make_service();
  service->add(policy(vm1, vm2, vm3, "tcp,tp_dst=80"));
  const int rounds = std::getenv("VTAP_CRASH_ROUNDS") ? std::atoi(std::getenv("VTAP_CRASH_ROUNDS")) : 20;
  for (int round = 0; round < rounds; ++round) {
    ASSERT_EQ(ovs_->crash_and_restart_vswitchd(), "") << "round " << round;
    // A change while the service has not noticed yet: it goes to the switches it can reach.
    const char* filter = round % 2 ? "udp" : "tcp,tp_dst=443";
    const auto id = service->add(policy(round % 2 ? vm2 : vm1, round % 2 ? vm1 : vm2, round % 3 ? vm4 : vm3, filter));
    service->reconcile();
    ASSERT_EQ(state(), service->plan()) << "round " << round;
    if (round % 3 == 2) service->remove(id);
  }
  EXPECT_EQ(service->reconcile(), 0u);
  EXPECT_EQ(state(), service->plan());
  // Each round both switches went away and came back.
  EXPECT_GE(count(Kind::switch_connected), 2u * static_cast<std::size_t>(rounds));
  EXPECT_GE(count(Kind::switch_disconnected), 2u * static_cast<std::size_t>(rounds));
}

// Changes send only their delta: over random adds, modifies and removes of overlapping,
// truncated and rate-limited policies, each switch holds exactly the plan after every change,
// and a reconciliation finds nothing to repair.
TEST_F(ServiceTest, RandomChangesSendOnlyTheirDeltaAndLeaveExactlyThePlan) {
  auto service = make_service();
  std::mt19937 rng(20261201);
  const char* vms[] = {vm1, vm2, vm3, vm4};
  const char* filters[] = {"tcp", "udp", "tcp,tp_dst=80", "tcp,tp_src=1000", "ip,nw_ecn=3", "ip"};
  std::vector<std::uint32_t> ids;
  for (int step = 0; step < 60; ++step) {
    const int op = static_cast<int>(rng() % 3);
    if (op == 2 && !ids.empty()) {
      const auto at = ids.begin() + static_cast<long>(rng() % ids.size());
      service->remove(*at);
      ids.erase(at);
    } else {
      const char* s = vms[rng() % 4];
      const char* r = vms[rng() % 4];
      const char* m = vms[rng() % 4];
      if (s == r || m == s || m == r) continue;
      TapPolicy p = policy(s, r, m, filters[rng() % 6]);
      if (rng() % 4 == 0) p.truncate = 100;
      if (rng() % 4 == 0) p.rate_limit = RateLimit{RateLimit::Unit::pktps, 1000, 0};
      if (op == 1 && !ids.empty()) {
        p.id = ids[rng() % ids.size()];
        service->modify(p);
      } else {
        ids.push_back(service->add(p));
      }
    }
    ASSERT_EQ(state(), service->plan()) << "step " << step;
  }
  EXPECT_EQ(service->reconcile(), 0u);
}

TEST_F(ServiceTest, CountersFollowTheSwitchesStatistics) {
  ASSERT_TRUE(ovs_->vsctl("add-port s1 p1 -- set interface p1 type=dummy ofport_request=1"));
  auto service = make_service();
  const auto id = service->add(policy(vm1, vm2, vm4, "tcp,tp_dst=80"));  // monitor on the sender's switch
  const char* packet =
      "in_port(1),eth(src=fa:00:00:00:00:01,dst=fa:00:00:00:00:02),eth_type(0x0800),"
      "ipv4(src=10.1.1.1,dst=10.1.1.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=80)";
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(ovs_->run("ovs-appctl --target=" + ovs_->dir() + "/ovs-vswitchd.$(cat " + ovs_->dir() +
                          "/vswitchd.pid).ctl netdev-dummy/receive p1 '" + packet + "'"));
  // The datapath's flow cache counts the later packets; purging pushes its counters up.
  ASSERT_TRUE(ovs_->run("ovs-appctl --target=" + ovs_->dir() + "/ovs-vswitchd.$(cat " + ovs_->dir() +
                        "/vswitchd.pid).ctl revalidator/purge"));
  const auto stats = service->stats();
  ASSERT_TRUE(stats.contains(id));
  EXPECT_EQ(stats.at(id).packets, 3u);
  EXPECT_EQ(stats.at(id).copies, 3u);
  EXPECT_GT(stats.at(id).bytes, 0u);
}

TEST(Transition, CarryingRulesComeFirstAndGoLast) {
  Topology topo = load_topology(std::string(VTAP_TEST_DATA) + "/../../examples/fig4/topology.json");
  Translator t(topo);
  const SwitchPlan empty;
  t.add(policy(vm1, vm2, vm3));
  const SwitchPlan s1 = t.plan("s1"), s2 = t.plan("s2");
  // Adding: s2 (recovery only) gets its rule in step 1; s1's tap waits for step 2.
  auto add_s1 = make_before_break(empty, s1);
  auto add_s2 = make_before_break(empty, s2);
  EXPECT_EQ(add_s2[0], s2);
  for (const auto& f : add_s1[0].flows) EXPECT_FALSE(is_rewriting_rule(f)) << f.to_string();
  EXPECT_EQ(add_s1[1], s1);
  // Removing: the tap goes in step 2, the recovery rule in step 3.
  auto del_s1 = make_before_break(s1, empty);
  auto del_s2 = make_before_break(s2, empty);
  EXPECT_EQ(del_s2[1], s2);
  for (const auto& f : del_s1[1].flows) EXPECT_FALSE(is_rewriting_rule(f)) << f.to_string();
  EXPECT_TRUE(del_s1[2].empty() && del_s2[2].empty());
}

}  // namespace
}  // namespace vtap

namespace vtap {
namespace {

TEST_F(ServiceTest, ThePlanFollowsMigrationsAndMonitorsThatComeAndGo) {
  auto service = make_service();
  const auto id = service->add(policy(vm1, vm2, vm3, "tcp,tp_dst=80"));
  ASSERT_TRUE(service->plan().switches.contains("s2"));  // vm3's recovery rule

  // vm3 migrates to s1: its copies no longer cross the link, s2 holds nothing.
  Topology moved;
  for (const auto& s : topology_.switches()) moved.add_switch(s);
  for (Host h : topology_.hosts()) {
    if (h.name == "vm3") h.switch_name = "s1", h.port = 3;
    moved.add_host(h);
  }
  for (const auto& l : topology_.links()) moved.add_link(l);
  service->set_topology(moved);
  EXPECT_EQ(state(), service->plan());
  EXPECT_FALSE(service->plan().switches.contains("s2"));

  // vm3 goes away: the policy is kept but inactive, and its rules are gone.
  Topology gone;
  for (const auto& s : topology_.switches()) gone.add_switch(s);
  for (const auto& h : topology_.hosts())
    if (h.name != "vm3") gone.add_host(h);
  for (const auto& l : topology_.links()) gone.add_link(l);
  service->set_topology(gone);
  EXPECT_EQ(service->inactive(), std::vector<std::uint32_t>{id});
  EXPECT_EQ(count(Kind::policy_inactive), 1u);
  EXPECT_TRUE(state().switches.empty());
  EXPECT_TRUE(service->get(id));

  // It comes back: the policy is active again.
  service->set_topology(topology_);
  EXPECT_TRUE(service->inactive().empty());
  EXPECT_EQ(state(), service->plan());
  EXPECT_TRUE(service->plan().switches.contains("s2"));
}

}  // namespace
}  // namespace vtap

namespace vtap {
namespace {

// Counts connection attempts of a real transport.
struct CountingTransport final : Transport {
  std::shared_ptr<Transport> inner = make_native_transport();
  std::map<std::string, int> attempts;
  std::string_view name() const noexcept override { return inner->name(); }
  std::unique_ptr<SwitchConnection> connect(std::string_view target, const openflow::SessionOptions& o) override {
    ++attempts[std::string(target)];
    return inner->connect(target, o);
  }
};

TEST_F(ServiceTest, AnUnreachableSwitchIsRetriedAfterABackOffByChangesAndAtOnceByReconcile) {
  auto counting = std::make_shared<CountingTransport>();
  const std::string missing = "unix:" + ovs_->dir() + "/missing.mgmt";
  Service service(topology_, {{"s1", ovs_->mgmt("s1")}, {"s2", missing}}, counting);
  service.add(policy(vm1, vm2, vm3, "tcp,tp_dst=80"));  // s1 gets its rules, s2 is down
  service.add(policy(vm1, vm2, vm3, "udp"));
  EXPECT_EQ(counting->attempts[missing], 1) << "the second change waited for a dead switch again";
  EXPECT_EQ(service.connected(), std::vector<std::string>{"s1"});
  service.reconcile();
  EXPECT_EQ(counting->attempts[missing], 2);
  EXPECT_EQ(state().switches.at("s1"), service.plan().switches.at("s1"));
}

}  // namespace
}  // namespace vtap
