// Translator deltas (begin_changes/take_changes): the switches a change names, and, over
// random adds, removes and refused adds, that every delta turns the plan before into the plan
// after while incremental removal keeps the rewriting rules a fresh translation gives.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "libvtap/model/error.hpp"
#include "libvtap/translate/translator.hpp"
#include "policy_fixtures.hpp"

namespace vtap {
namespace {

// The priority and match of every rewriting rule, by switch.
std::set<std::string> rewriting_rules(const Plan& plan) {
  std::set<std::string> out;
  for (const auto& [name, sp] : plan.switches)
    for (const FlowRule& f : sp.flows)
      if (f.table == 0 && !f.match.has(Field::vlan_vid))
        out.insert(name + " priority=" + std::to_string(f.priority) + "," + f.match.to_string());
  return out;
}

TEST(TranslatorChanges, AChangeNamesOnlyTheSwitchesWhosePlanItChanged) {
  using namespace vtap::testing;
  Translator t(line(3, {{1, 1}, {2, 1}, {3, 3}, {4, 2}, {5, 2}, {6, 2}}));
  auto changed = [&](auto&& change) {
    t.begin_changes();
    change();
    std::set<std::string> names;
    for (const auto& [name, d] : t.take_changes()) names.insert(name);
    return names;
  };
  EXPECT_EQ(changed([&] { t.add(policy(1, 1, 2, 3, "tcp")); }), (std::set<std::string>{"s1", "s2", "s3"}));  // crosses s2
  EXPECT_EQ(changed([&] { t.add(policy(2, 4, 5, 6, "udp")); }), std::set<std::string>{"s2"});  // all on s2
  EXPECT_EQ(changed([&] {
              t.remove(2);
              t.add(policy(2, 4, 5, 6, "udp"));
            }),
            std::set<std::string>{});  // what came and went again cancels out
  EXPECT_TRUE(t.take_changes().empty()) << "nothing is recorded outside begin_changes()";
}

// Random adds, removes and refused adds (past the composition bound, or for want of a copy
// mark): every switch's plan after a change is its plan
// before with the delta's `before` taken out and its `after` put in, and the delta holds
// nothing that stayed the same.
TEST(TranslatorChanges, ADeltaTurnsThePlanBeforeIntoThePlanAfter) {
  using namespace vtap::testing;
  std::mt19937 rng(20261201);
  const std::vector<std::string> filters{"", "tcp", "udp", "tcp,tp_dst=80", "tcp,tp_src=1000", "ip,nw_ecn=3"};
  for (int round = 0; round < 20; ++round) {
    TranslatorOptions o;
    o.rewrite_destination = round % 2;
    o.max_composed = 6;  // some adds are refused
    if (round % 4 == 3) o.first_mark = 1, o.last_mark = 2;  // and some for want of a copy mark
    Translator t(line(3, {{1, 1}, {2, 2}, {3, 3}, {4, 1}, {5, 2}, {6, 3}}), o);
    std::uniform_int_distribution<int> vm(1, 6), pick(0, static_cast<int>(filters.size()) - 1);
    for (int step = 0; step < 30; ++step) {
      const Plan before = t.plan();
      t.begin_changes();
      const auto ids = t.policies();
      if (!ids.empty() && rng() % 3 == 0) {
        t.remove(ids[rng() % ids.size()]->id);
      } else {
        const int s = vm(rng), r = vm(rng), m = vm(rng);
        if (s == r || m == s || m == r) continue;
        TapPolicy p = policy(0, s, r, m, filters[pick(rng)]);
        if (rng() % 4 == 0) p.truncate = static_cast<std::uint16_t>(64 + rng() % 3);
        if (rng() % 4 == 0) p.rate_limit = RateLimit{RateLimit::Unit::pktps, 100 + static_cast<std::uint32_t>(rng() % 3), 0};
        if (rng() % 4 == 0) p.direction = Direction::both;
        try {
          t.add(p);
        } catch (const PolicyError&) {
          // Refused past the bound or for want of a mark: its delta must still describe the plan.
        }
      }
      const PlanDelta delta = t.take_changes();
      const Plan after = t.plan();
      // Marks and group ids depend on the order of changes; which rewriting rules exist at
      // which priority does not.
      std::vector<TapPolicy> remaining;
      for (const TapPolicy* p : t.policies()) remaining.push_back(*p);
      EXPECT_EQ(rewriting_rules(after), rewriting_rules(translate(t.topology(), remaining, o)))
          << "round " << round << " step " << step;
      for (const std::string name : {"s1", "s2", "s3"}) {
        const SwitchPlan was = before.switches.contains(name) ? before.switches.at(name) : SwitchPlan{};
        const SwitchPlan now = after.switches.contains(name) ? after.switches.at(name) : SwitchPlan{};
        auto d = delta.find(name);
        if (d == delta.end()) {
          EXPECT_EQ(was, now) << "round " << round << " step " << step << ": " << name << " changed outside the delta";
          continue;
        }
        EXPECT_EQ(spliced(was, d->second), now) << "round " << round << " step " << step << " " << name;
        for (const auto& f : d->second.after.flows)
          EXPECT_EQ(std::count(d->second.before.flows.begin(), d->second.before.flows.end(), f), 0) << f.to_string();
      }
    }
  }
}

// A policy refused because no copy mark is free leaves nothing behind: not the rules, nor
// the count of the route it would have used, so a later policy on that route is refused the
// same way and, once a mark is free, placed as on a fresh translator.
TEST(TranslatorChanges, ARefusalForWantOfAMarkLeavesNothingBehind) {
  using testing::line;
  using testing::policy;
  const Topology topo = line(2, {{1, 1}, {2, 1}, {5, 1}, {3, 2}, {4, 2}});
  TranslatorOptions opt;
  opt.first_mark = opt.last_mark = 5;  // one mark: one stream to a remote monitor
  Translator t(topo, opt);
  t.add(policy(1, 1, 2, 3));  // vm3 on s2 takes the mark
  const Plan before = t.plan();
  for (std::uint32_t id : {2U, 3U}) {  // both copy s1 -> vm4, which would need a second mark
    try {
      t.add(policy(id, id == 2 ? 1 : 2, 5, 4));
      ADD_FAILURE() << "policy " << id << " was placed without a free mark";
    } catch (const PolicyError& e) {
      EXPECT_EQ(e.field(), "monitor");
      EXPECT_NE(std::string(e.what()).find("no free copy mark"), std::string::npos) << e.what();
    }
    EXPECT_EQ(t.plan(), before);
  }
  t.remove(1);
  t.add(policy(3, 2, 5, 4));
  Translator fresh(topo, opt);
  fresh.add(policy(3, 2, 5, 4));
  EXPECT_EQ(t.plan(), fresh.plan());
}

}  // namespace
}  // namespace vtap
