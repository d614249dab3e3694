// The cluster's pure rules (cluster_view.hpp): reading the VTAP database, what each node
// installs in each phase of a change, acknowledgements; and marks assigned from outside the
// translator (what makes every agent compute the same marks whatever its history).

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/translate/translator.hpp"
#include "policy_fixtures.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/cluster/cluster_view.hpp"
#endif

namespace vtap {
namespace {

using namespace vtap::testing;
using nlohmann::json;

TEST(AssignedMarks, MarksDoNotDependOnTheOrderPoliciesWereAddedIn) {
  const Topology topo = line(3, {{1, 1}, {2, 2}, {3, 3}, {4, 3}});
  TranslatorOptions opt;
  opt.assigned_marks = {{"vm3", 3007}, {"vm4", 3001}};
  Translator forward(topo, opt), backward(topo, opt);
  forward.add(policy(1, 1, 2, 3));
  forward.add(policy(2, 1, 2, 4));
  backward.add(policy(2, 1, 2, 4));
  backward.add(policy(1, 1, 2, 3));
  EXPECT_EQ(forward.plan(), backward.plan());
  EXPECT_EQ(forward.marks(), (std::map<std::string, std::uint16_t>{{"vm3", 3007}, {"vm4", 3001}}));
}

TEST(AssignedMarks, NewStreamsAvoidAssignedMarksAndNamesCarryTheCopyOptions) {
  const Topology topo = line(2, {{1, 1}, {2, 2}, {3, 2}});
  TranslatorOptions opt;
  opt.assigned_marks = {{"vm9", 3000}};  // a stream of another node's policy
  Translator t(topo, opt);
  TapPolicy p = policy(1, 1, 2, 3);
  p.truncate = 64;
  t.add(p);
  EXPECT_EQ(t.marks(), (std::map<std::string, std::uint16_t>{{"vm3,max_len=64", 3001}}));
  t.remove(1);
  t.add(policy(2, 1, 2, 3));
  EXPECT_EQ(t.marks(), (std::map<std::string, std::uint16_t>{{"vm3", 3001}}));
}

TEST(AssignedMarks, MarksAssignedLaterAreAsMarksAssignedAtConstruction) {
  const Topology topo = line(3, {{1, 1}, {2, 2}, {3, 3}, {4, 3}});
  TranslatorOptions opt;
  opt.assigned_marks = {{"vm3", 3007}};
  Translator late(topo, opt);
  late.add(policy(1, 1, 2, 3));
  const Plan before = late.plan();
  EXPECT_TRUE(late.assign_marks({{"vm4", 3000}, {"vm3", 3007}}));  // vm3's again is no change
  EXPECT_EQ(late.plan(), before);
  late.add(policy(2, 1, 2, 4));
  opt.assigned_marks = {{"vm3", 3007}, {"vm4", 3000}};
  EXPECT_EQ(late.options().assigned_marks, opt.assigned_marks);
  Translator early(topo, opt);
  early.add(policy(1, 1, 2, 3));
  early.add(policy(2, 1, 2, 4));
  EXPECT_EQ(late.plan(), early.plan());
  // Refused, changing nothing: a stream's other mark, a mark of another stream (assigned or
  // taken by a stream that had none), a mark outside the range.
  Translator t(topo, {});
  t.add(policy(1, 1, 2, 3));  // vm3 takes 3000
  EXPECT_FALSE(t.assign_marks({{"vm3", 3001}}));
  EXPECT_FALSE(t.assign_marks({{"vm4", 3000}}));
  EXPECT_TRUE(t.assign_marks({{"vm4", 3002}}));
  EXPECT_FALSE(t.assign_marks({{"vm9", 3002}}));
  EXPECT_FALSE(t.assign_marks({{"vm5", 3005}, {"vm6", 3005}}));
  EXPECT_THROW(t.assign_marks({{"vm5", 20}}), Error);
  EXPECT_EQ(t.options().assigned_marks, (std::map<std::string, std::uint16_t>{{"vm4", 3002}}));
  t.add(policy(2, 1, 2, 4));
  t.add(policy(3, 2, 1, 4));
  EXPECT_EQ(t.marks(), (std::map<std::string, std::uint16_t>{{"vm3", 3000}, {"vm4", 3002}}));
}

TEST(AssignedMarks, AMarkOutsideTheRangeIsRefused) {
  TranslatorOptions opt;
  opt.assigned_marks = {{"vm3", 20}};
  EXPECT_THROW(Translator(line(1, {}), opt), Error);
}

#ifdef VTAP_WITH_OPENVSWITCH

// vm1 on n1, vm2 on n2, vm3 and vm4 on n3.
Topology nodes() { return cluster_nodes({{1, 1}, {2, 2}, {3, 3}, {4, 3}}); }

ClusterView view_with(PolicyRow row) {
  ClusterView v;
  for (const char* n : {"n1", "n2", "n3"}) v.nodes[n].name = n;
  v.policies.insert_or_assign(row.id, std::move(row));
  return v;
}

std::vector<std::uint32_t> ids(const std::vector<TapPolicy>& ps) {
  std::vector<std::uint32_t> out;
  for (const auto& p : ps) out.push_back(p.id);
  return out;
}

TEST(ClusterView, ReadsRowsWhoseDefaultColumnsTheServerLeftOut) {
  OvsdbSnapshot s;
  s.mutable_rows("VTAP_Global")["g"] = {{"next_policy_id", 4}};  // generation 0 is not sent
  s.mutable_rows("Mark")["m"] = {{"stream", "vm3"}, {"vlan", 3000}};
  s.mutable_rows("Node_Status")["st"] = {{"applied", 7}};
  json facts = NodeFacts{"", "n1", {"10.0.0.1"}, {}};
  s.mutable_rows("Node")["n"] = {{"name", "n1"}, {"facts", facts.dump()}, {"status", {"uuid", "st"}}};
  s.mutable_rows("Policy")["p"] = {{"policy_id", 3}, {"tenant", "t1"}, {"spec", json(policy(3, 1, 2, 3)).dump()},
                             {"phase", "commit"}, {"generation", 5}, {"nodes", "n1"},
                             {"marks", {"set", json::array({{"uuid", "m"}})}}};
  s.mutable_rows("Policy")["bad"] = {{"policy_id", 9}, {"spec", "{not json"}};
  const ClusterView v = read_cluster(s);
  EXPECT_EQ(v.generation, 0U);
  EXPECT_EQ(v.next_policy_id, 4U);
  EXPECT_EQ(v.marks, (std::map<std::string, std::uint16_t>{{"vm3", 3000}}));
  EXPECT_EQ(v.nodes.at("n1").applied, 7U);
  const PolicyRow& p = v.policies.at(3);
  EXPECT_TRUE(p.settled());
  EXPECT_EQ(p.spec->tenant, "t1");
  EXPECT_EQ(p.nodes, std::set<std::string>{"n1"});
  EXPECT_EQ(p.marks, std::set<std::string>{"m"});
  ASSERT_EQ(v.problems.size(), 1U);
  EXPECT_NE(v.problems[0].find("Policy bad"), std::string::npos);
}

TEST(ClusterView, APolicyRowIsReadAgainOnlyWhenItChanged) {
  OvsdbSnapshot s;
  s.mutable_rows("Policy")["p"] = {{"policy_id", 3}, {"spec", json(policy(3, 1, 2, 3)).dump()}, {"generation", 5}};
  s.mutable_rows("Policy")["q"] = {{"policy_id", 4}, {"spec", json(policy(4, 1, 2, 3)).dump()}, {"generation", 5}};
  const ClusterView first = read_cluster(s);
  EXPECT_EQ(&read_cluster(s, &first).policies.at(3), &first.policies.at(3));
  OvsdbSnapshot next = s;  // as a replica publishes its updates
  next.mutable_rows("Policy")["p"]["spec"] = json(policy(3, 1, 2, 4)).dump();
  next.mutable_rows("Policy")["p"]["generation"] = 6;
  const ClusterView moved = read_cluster(next, &first);
  EXPECT_EQ(moved.policies.at(3).spec, policy(3, 1, 2, 4));
  EXPECT_EQ(moved.policies.at(3).generation, 6U);
  EXPECT_EQ(&moved.policies.at(4), &first.policies.at(4));
  // A row deleted and inserted anew (another uuid) under its id is read anew.
  next.mutable_rows("Policy").erase("p");
  next.mutable_rows("Policy")["r"] = {{"policy_id", 3}, {"spec", json(policy(3, 1, 2, 5)).dump()}, {"generation", 7}};
  EXPECT_EQ(read_cluster(next, &moved).policies.at(3).spec, policy(3, 1, 2, 5));
  EXPECT_EQ(read_cluster(next, &moved).policies.at(3).uuid, "r");
}

// A replica publishes a copy of its snapshot after each update; each view is read from the
// one before. Whatever the updates, that view must be the one read afresh, and rows nothing
// changed must be the very rows of the view before.
TEST(ClusterView, AViewReadFromTheOneBeforeIsTheViewReadAfresh) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> id(1, 150), op(0, 3), changes(0, 4);
  std::map<int, std::string> uuid_of;  // id → its row's uuid, while it has one
  OvsdbSnapshot published;
  ClusterView previous = read_cluster(published);
  std::uint64_t generation = 0;
  for (int step = 0; step < 400; ++step) {
    OvsdbSnapshot next = published;
    auto& rows = next.mutable_rows("Policy");
    std::set<std::uint32_t> touched;
    for (int n = changes(rng); n > 0; --n) {
      const int i = id(rng);
      touched.insert(i);
      const int kind = op(rng);
      if (uuid_of.contains(i) && kind != 0) rows.erase(uuid_of[i]);
      if (kind == 1) {  // gone
        uuid_of.erase(i);
        continue;
      }
      if (kind == 2 || !uuid_of.contains(i)) uuid_of[i] = "p" + std::to_string(i) + "-" + std::to_string(step);
      json& row = rows[uuid_of[i]];
      row = {{"policy_id", i}, {"generation", ++generation}};
      row["spec"] = kind == 3 ? "{not json" : json(policy(i, 1, 2, 3 + step % 2)).dump();
    }
    published = next;
    const ClusterView now = read_cluster(published, &previous);
    const ClusterView afresh = read_cluster(published);
    ASSERT_EQ(now.policies, afresh.policies) << "step " << step;
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    ASSERT_EQ(sorted(now.problems), sorted(afresh.problems)) << "step " << step;
    for (const auto& [i, row] : now.policies) {
      if (touched.contains(i)) continue;
      ASSERT_EQ(&row, &previous.policies.at(i)) << "row " << i << " was read again";
    }
    previous = now;
  }
  EXPECT_GT(previous.policies.size(), 20U);
}

TEST(ClusterView, EachNodeInstallsWhatThePhaseTableSays) {
  const Topology topo = nodes();
  PolicyRow row;
  row.id = 1;
  row.spec = policy(1, 1, 2, 3);  // rewriting at n1, recovery at n3
  row.prepare = true;
  // A create being prepared: the sender's node waits, the path's nodes install it.
  ClusterView v = view_with(row);
  EXPECT_TRUE(ids(node_policies(v, topo, "n1", {})).empty());
  EXPECT_EQ(ids(node_policies(v, topo, "n3", {})), std::vector<std::uint32_t>{1});
  // A modify to monitor vm4: prepared, the sender's node keeps the old version; the others
  // hold both, the previous under its own id.
  row.previous = row.spec;
  row.spec = policy(1, 1, 2, 4);
  v = view_with(row);
  EXPECT_EQ(node_policies(v, topo, "n1", {}), std::vector<TapPolicy>{*row.previous});
  EXPECT_EQ(ids(node_policies(v, topo, "n3", {})), (std::vector<std::uint32_t>{1, 1 | previous_id_bit}));
  // Committed: the sender's node switches to the new version; the others still hold both.
  row.prepare = false;
  v = view_with(row);
  EXPECT_EQ(node_policies(v, topo, "n1", {}), std::vector<TapPolicy>{*row.spec});
  EXPECT_EQ(ids(node_policies(v, topo, "n2", {})), (std::vector<std::uint32_t>{1, 1 | previous_id_bit}));
  // A remove, committed: copies stop at the sender while the path still recovers them.
  row.spec.reset();
  v = view_with(row);
  EXPECT_TRUE(node_policies(v, topo, "n1", {}).empty());
  EXPECT_EQ(ids(node_policies(v, topo, "n3", {})), std::vector<std::uint32_t>{1 | previous_id_bit});
}

TEST(ClusterView, AStepIsAcknowledgedWhenEveryNodeItTouchesAppliedItsGeneration) {
  PolicyRow row;
  row.id = 1;
  row.generation = 4;
  row.nodes = {"n1", "n3", "gone"};
  ClusterView v = view_with(row);
  v.nodes["n1"].applied = 4;
  v.nodes["n3"].applied = 3;
  EXPECT_FALSE(step_acknowledged(v, v.policies.at(1)));
  v.nodes["n3"].applied = 5;
  EXPECT_TRUE(step_acknowledged(v, v.policies.at(1)));
}

TEST(ClusterView, FootprintNamesTheNodesAndTheRewritingOnes) {
  const Footprint f = footprint(nodes(), policy(1, 1, 2, 3), {}, {{"vm3", 3100}});
  EXPECT_EQ(f.nodes, (std::set<std::string>{"n1", "n2", "n3"}));
  EXPECT_EQ(f.rewriting, std::set<std::string>{"n1"});
  EXPECT_EQ(f.marks, (std::map<std::string, std::uint16_t>{{"vm3", 3100}}));
}

TEST(ClusterView, NodesCountersAreSummedPerPolicyAndAnUnreadableRowCountsNothing) {
  OvsdbSnapshot s;
  s.mutable_rows("Node_Status")["a"] = {{"applied", 1}, {"stats", node_stats_text({{1, {10, 1000, 10, 1200}}, {2, {}}})}};
  s.mutable_rows("Node_Status")["b"] = {{"applied", 1},
                                  {"stats", node_stats_text({{1, {5, 500, 0, 0}}, {1 | previous_id_bit, {1, 2, 3, 4}}})}};
  s.mutable_rows("Node_Status")["quiet"] = {{"applied", 1}};  // no stats yet
  for (const char* bad : {"{not json", "[1,2]", R"({"x1": [1,2,3,4]})", R"({"0": [1,2,3,4]})", R"({"1": [1,2,3]})",
                          R"({"1": [1,2,3,-4]})", R"({"4294967296": [1,2,3,4]})"})
    s.mutable_rows("Node_Status")[std::string("bad ") + bad] = {{"stats", bad}};
  EXPECT_EQ(cluster_stats(s), (std::map<std::uint32_t, PolicyStats>{
                                  {1, {15, 1500, 10, 1200}}, {2, {}}, {1 | previous_id_bit, {1, 2, 3, 4}}}));
  EXPECT_EQ(node_stats_text({}), "");  // the column's default: an idle node writes nothing
}

TEST(ClusterView, TheTopologyOfPublishedFactsNamesSwitchesByNode) {
  ClusterView v;
  InterfaceFacts bridge;
  bridge.bridge = bridge.name = "br";
  bridge.datapath_id = "1";
  v.nodes["a"].facts = std::make_shared<NodeFacts>(NodeFacts{"", "a", {"10.0.0.1"}, {bridge}});
  EXPECT_EQ(cluster_topology(v).switches().front().name, "a.br");
  EXPECT_EQ(node_of("a.br"), "a");
}

#endif

}  // namespace
}  // namespace vtap
