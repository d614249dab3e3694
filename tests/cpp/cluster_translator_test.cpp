// ClusterTranslator (cluster_translator.hpp): a translator kept in step with the cluster's
// views. An agent's (for_node): each update's delta must turn the node's plan before into its
// plan after, and the plan must be what translating the view afresh (node_policies) gives. A
// vtapd's (for_specs): what does not translate, and a write checked against the rest.

#include <gtest/gtest.h>

#ifdef VTAP_WITH_OPENVSWITCH
#include <random>

#include "libvtap/cluster/cluster_translator.hpp"
#include "policy_fixtures.hpp"

namespace vtap {
namespace {

using namespace vtap::testing;

// vm1 and vm5 on n1, vm2 on n2, vm3 and vm4 on n3.
Topology nodes() { return cluster_nodes({{1, 1}, {2, 2}, {3, 3}, {4, 3}, {5, 1}}); }

PolicyRow settled(const TapPolicy& p, std::uint64_t generation) {
  PolicyRow row;
  row.uuid = "row" + std::to_string(p.id);
  row.id = p.id;
  row.spec = p;
  row.generation = generation;
  return row;
}

ClusterView view_of(std::vector<PolicyRow> rows) {
  ClusterView v;
  v.marks = {{"vm3", 3000}, {"vm4", 3001}, {"vm2", 3002}, {"vm5", 3003}};
  for (PolicyRow& row : rows) v.policies.insert_or_assign(row.id, std::move(row));
  return v;
}

// What translating `view` afresh gives node `node`.
Plan fresh(const ClusterView& view, const Topology& topo, const std::string& node) {
  TranslatorOptions options;
  options.assigned_marks = view.marks;
  Translator t(topo, options);
  for (const TapPolicy& p : node_policies(view, topo, node, options)) try {
      t.add(p);
    } catch (const PolicyError&) {
    }
  return t.plan();
}

// Updates `np` to `view` and checks the delta against the plan before and after.
void step(ClusterTranslator& np, const ClusterView& view, const Topology& topo, const std::string& node) {
  const Plan before = np.translator() ? np.translator()->plan() : Plan{};
  const std::optional<PlanDelta> delta = np.follow(view, topo);
  const Plan after = np.translator()->plan();
  EXPECT_EQ(after, fresh(view, topo, node));
  if (!delta) return;
  std::set<std::string> names;
  for (const auto* p : {&before, &after})
    for (const auto& [name, sp] : p->switches) names.insert(name);
  for (const std::string& name : names) {
    auto at = [&](const Plan& p) { return p.switches.contains(name) ? p.switches.at(name) : SwitchPlan{}; };
    auto d = delta->find(name);
    EXPECT_EQ(d == delta->end() ? at(before) : spliced(at(before), d->second), at(after)) << name;
  }
}

TEST(AgentPlan, TheFirstUpdateBuildsTheTranslatorAndLaterOnesGiveWhatChanged) {
  const Topology topo = nodes();
  auto np = ClusterTranslator::for_node("n1", {});
  EXPECT_EQ(np.plan("n1.br"), SwitchPlan{});
  std::vector<PolicyRow> rows{settled(policy(1, 1, 2, 3), 1), settled(policy(2, 5, 2, 4, "tcp"), 2)};
  ClusterView v = view_of(rows);
  EXPECT_FALSE(np.follow(v, topo));
  EXPECT_EQ(np.translator()->plan(), fresh(v, topo, "n1"));

  // Nothing moved: nothing to send.
  EXPECT_EQ(np.follow(v, topo), PlanDelta{});

  // A policy comes, one is rewritten (a new generation), one goes.
  rows.push_back(settled(policy(3, 1, 4, 3, "udp"), 3));
  step(np, v = view_of(rows), topo, "n1");
  rows[0] = settled(policy(1, 1, 2, 4), 4);
  const std::optional<PlanDelta> rewritten = np.follow(view_of(rows), topo);
  ASSERT_TRUE(rewritten);
  EXPECT_TRUE(rewritten->contains("n1.br"));
  EXPECT_EQ(np.translator()->plan(), fresh(view_of(rows), topo, "n1"));
  rows.erase(rows.begin() + 1);
  step(np, view_of(rows), topo, "n1");
  // A row deleted and made anew under the same id and generation is another row.
  rows[0].uuid = "again";
  rows[0].spec = policy(1, 5, 2, 3);
  step(np, view_of(rows), topo, "n1");
}

TEST(AgentPlan, ARowInFlightPutsBothVersionsWhereThePhaseTableSays) {
  const Topology topo = nodes();
  auto np = ClusterTranslator::for_node("n2", {});
  PolicyRow row = settled(policy(1, 1, 2, 3), 1);
  step(np, view_of({row}), topo, "n2");
  row.previous = row.spec;
  row.spec = policy(1, 1, 2, 4);
  row.prepare = true;
  row.generation = 2;
  step(np, view_of({row}), topo, "n2");
  EXPECT_TRUE(np.translator()->find(1 | previous_id_bit));
  row.prepare = false;
  row.generation = 3;
  step(np, view_of({row}), topo, "n2");
  row.previous.reset();
  row.generation = 4;
  step(np, view_of({row}), topo, "n2");
  EXPECT_FALSE(np.translator()->find(1 | previous_id_bit));
}

TEST(AgentPlan, NewMarksAreTakenAsTheyComeAndOtherChangesOfMarksOrNodesBuildItAnew) {
  const Topology topo = nodes();
  auto np = ClusterTranslator::for_node("n1", {});
  ClusterView v = view_of({settled(policy(1, 1, 2, 3), 1)});
  v.marks = {{"vm3", 3000}};
  EXPECT_FALSE(np.follow(v, topo));
  EXPECT_TRUE(np.follow(v, topo));
  // The first policy of a new stream comes with its mark.
  v.marks["vm4"] = 3005;
  v.policies.insert_or_assign(2, settled(policy(2, 1, 2, 4), 2));
  const std::optional<PlanDelta> delta = np.follow(v, topo);
  ASSERT_TRUE(delta) << "built anew";
  EXPECT_TRUE(delta->contains("n1.br"));
  EXPECT_EQ(np.translator()->plan(), fresh(v, topo, "n1"));
  EXPECT_EQ(np.translator()->marks(), v.marks);
  // A mark changed, or gone.
  v.marks["vm3"] = 3010;
  EXPECT_FALSE(np.follow(v, topo));
  EXPECT_EQ(np.translator()->plan(), fresh(v, topo, "n1"));
  v.marks.erase("vm3");
  v.policies.erase(1);
  EXPECT_FALSE(np.follow(v, topo));
  EXPECT_EQ(np.translator()->plan(), fresh(v, topo, "n1"));
  v.nodes_version = 7;
  EXPECT_FALSE(np.follow(v, topo));
  EXPECT_TRUE(np.follow(v, topo));
}

TEST(AgentPlan, APolicyThatDoesNotTranslateIsNamedUntilItsRowGoes) {
  const Topology topo = nodes();
  auto np = ClusterTranslator::for_node("n1", {});
  std::vector<PolicyRow> rows{settled(policy(1, 1, 2, 3), 1), settled(policy(2, 1, 9, 3), 2)};  // no vm9
  EXPECT_FALSE(np.follow(view_of(rows), topo));
  EXPECT_NE(np.errors().find("policy 2: receiver"), std::string::npos) << np.errors();
  EXPECT_TRUE(np.translator()->find(1));
  rows[1] = settled(policy(2, 1, 4, 3), 3);
  step(np, view_of(rows), topo, "n1");
  EXPECT_EQ(np.errors(), "");
  rows[1] = settled(policy(2, 1, 9, 3), 4);
  step(np, view_of(rows), topo, "n1");
  EXPECT_NE(np.errors().find("policy 2"), std::string::npos);
  rows.pop_back();
  step(np, view_of(rows), topo, "n1");
  EXPECT_EQ(np.errors(), "");
}

TEST(AgentPlan, APolicyThatFailedForWantOfRoomIsTriedAgainWhenAPolicyLeaves) {
  const Topology topo = nodes();
  TranslatorOptions options;
  options.max_composed = 1;  // one rule per sender port
  auto np = ClusterTranslator::for_node("n1", options);
  ClusterView v = view_of({settled(policy(1, 1, 2, 3), 1), settled(policy(2, 1, 2, 4, "tcp"), 2)});
  EXPECT_FALSE(np.follow(v, topo));
  EXPECT_NE(np.errors().find("policy 2"), std::string::npos) << np.errors();
  v.policies.insert_or_assign(3, settled(policy(3, 5, 2, 3), 3));  // another port: nothing leaves
  ASSERT_TRUE(np.follow(v, topo));
  EXPECT_TRUE(np.failed().contains(2));
  v.policies.erase(1);
  const std::optional<PlanDelta> delta = np.follow(v, topo);
  ASSERT_TRUE(delta);
  EXPECT_EQ(np.errors(), "");
  EXPECT_TRUE(np.translator()->find(2));
  options.assigned_marks = v.marks;
  Translator afresh(topo, options);
  for (const TapPolicy& p : node_policies(v, topo, "n1", options)) afresh.add(p);
  EXPECT_EQ(np.translator()->plan(), afresh.plan());
}

// Each view a copy of the one before with a few rows changed, as read_cluster makes them: the
// translator looks only at the rows the copies do not share, and must still be the fresh one.
TEST(AgentPlan, ViewsCopiedFromTheOneBeforeAreFollowedByTheRowsTheyChanged) {
  const Topology topo = nodes();
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> id(1, 40), vm(1, 5), op(0, 3), changes(1, 3);
  auto np = ClusterTranslator::for_node("n1", {});
  ClusterView v = view_of({});
  np.follow(v, topo);
  for (int generation = 1; generation <= 300;) {
    for (int n = changes(rng); n > 0; --n) {
      const auto i = static_cast<std::uint32_t>(id(rng));
      const int s = vm(rng), r = vm(rng), m = vm(rng) % 2 ? 3 : 4;
      PolicyRow row = settled(policy(i, s, r == s ? s % 5 + 1 : r, m == s || m == r ? 2 : m), ++generation);
      switch (op(rng)) {
        case 0: v.policies.erase(i); break;
        case 1:  // in flight: the version before is still held
          if (v.policies.contains(i) && v.policies.at(i).spec) {
            row.previous = v.policies.at(i).spec;
            row.prepare = generation % 2;
          }
          [[fallthrough]];
        default: v.policies.insert_or_assign(i, row);
      }
    }
    step(np, v, topo, "n1");
  }
}

// What a vtapd did before keeping a translator: every spec but `replacing` into a fresh one,
// then `p`; the marks that gives.
std::map<std::string, std::uint16_t> marks_afresh(const ClusterView& view, const Topology& topo, const TapPolicy& p,
                                                  std::uint32_t replacing = 0) {
  TranslatorOptions options;
  options.assigned_marks = view.marks;
  Translator t(topo, options);
  for (const auto& [id, row] : view.policies)
    if (row.spec && id != replacing) try {
        t.add(*row.spec);
      } catch (const PolicyError&) {
      }
  t.add(p);
  return t.marks();
}

TEST(VtapdChecks, AWriteIsCheckedAgainstEverySpecAndLeavesTheTranslatorAsItWas) {
  const Topology topo = nodes();
  auto specs = ClusterTranslator::for_specs({});
  EXPECT_THROW(specs.marks_with(policy(1, 1, 2, 3)), Error);  // no view yet
  ClusterView v = view_of({settled(policy(1, 1, 2, 3), 1), settled(policy(2, 1, 9, 3), 2)});  // no vm9
  v.marks = {{"vm3", 3000}};
  EXPECT_FALSE(specs.follow(v, topo));
  EXPECT_EQ(specs.failed().size(), 1U);
  EXPECT_TRUE(specs.failed().contains(2));
  const Plan before = specs.translator()->plan();

  // A create whose stream has no mark yet gets the one a fresh translator would give it.
  const TapPolicy create = policy(3, 5, 2, 4, "tcp");
  EXPECT_EQ(specs.marks_with(create), marks_afresh(v, topo, create));
  EXPECT_TRUE(specs.marks_with(create).contains("vm4"));
  // A modify replaces its policy; the old version is back afterwards.
  const TapPolicy modify = policy(1, 1, 2, 4);
  EXPECT_EQ(specs.marks_with(modify, 1), marks_afresh(v, topo, modify, 1));
  EXPECT_EQ(*specs.translator()->find(1), policy(1, 1, 2, 3));
  // Refused writes change nothing either.
  EXPECT_THROW(specs.marks_with(policy(4, 1, 9, 3)), PolicyError);
  EXPECT_THROW(specs.marks_with(policy(1, 5, 2, 3)), PolicyError);  // id 1 is held
  EXPECT_THROW(specs.marks_with(policy(1, 1, 1, 3), 1), PolicyError);  // the receiver is the sender
  EXPECT_EQ(*specs.translator()->find(1), policy(1, 1, 2, 3));
  EXPECT_FALSE(specs.translator()->find(3));
  EXPECT_EQ(specs.translator()->plan(), before);
  EXPECT_EQ(specs.failed().size(), 1U);
}

TEST(VtapdChecks, ARowWithoutSpecHoldsNothing) {
  const Topology topo = nodes();
  auto specs = ClusterTranslator::for_specs({});
  PolicyRow removing = settled(policy(1, 1, 2, 3), 1);
  specs.follow(view_of({removing}), topo);
  EXPECT_TRUE(specs.translator()->find(1));
  removing.previous = removing.spec;
  removing.spec.reset();
  removing.generation = 2;
  specs.follow(view_of({removing}), topo);
  EXPECT_FALSE(specs.translator()->find(1));
  EXPECT_EQ(specs.translator()->plan(), Plan{});
}

}  // namespace
}  // namespace vtap

#endif
