// The Policy rows by id (policy_table.hpp): a map, against std::map over random changes and
// copies, whose changed_ids() names exactly the rows a copy changed, looking only at what it
// does not share.

#ifdef VTAP_WITH_OPENVSWITCH

#include "libvtap/cluster/policy_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace vtap {
namespace {

PolicyRow row(std::uint32_t id, std::uint64_t generation) {
  PolicyRow r;
  r.uuid = "u" + std::to_string(id);
  r.id = id;
  r.generation = generation;
  return r;
}

std::map<std::uint32_t, PolicyRow> as_map(const PolicyTable& table) {
  std::map<std::uint32_t, PolicyRow> out;
  std::uint32_t last = 0;
  for (const auto& [id, r] : table) {
    EXPECT_TRUE(out.empty() || id > last) << id << " out of order";
    last = id;
    out.emplace(id, r);
  }
  return out;
}

TEST(PolicyTable, BehavesAsAMapByIdAndNamesWhatACopyChanged) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> id(0, 700), op(0, 2), steps(0, 12);
  PolicyTable table;
  std::map<std::uint32_t, PolicyRow> model;
  for (int round = 0; round < 300; ++round) {
    const PolicyTable before = table;
    const auto model_before = model;
    std::set<std::uint32_t> touched;  // ids whose row was put or erased since the copy
    for (std::uint32_t n = steps(rng); n > 0; --n) {
      const std::uint32_t i = id(rng);
      if (op(rng) == 0) {
        EXPECT_EQ(table.erase(i), model.erase(i));
        if (model_before.contains(i)) touched.insert(i);
        else touched.erase(i);
      } else {
        table.insert_or_assign(row(i, round));
        model[i] = row(i, round);
        touched.insert(i);
      }
      EXPECT_EQ(table.size(), model.size());
      EXPECT_EQ(table.contains(i), model.contains(i));
    }
    EXPECT_EQ(as_map(table), model);
    EXPECT_EQ(as_map(before), model_before) << "a copy changed with the table it was copied from";
    const std::vector<std::uint32_t> changed = table.changed_ids(before);
    EXPECT_EQ(std::set<std::uint32_t>(changed.begin(), changed.end()), touched);
    EXPECT_TRUE(std::is_sorted(changed.begin(), changed.end()));
    EXPECT_EQ(before.changed_ids(table), changed);
    EXPECT_EQ(table == before, model == model_before);
  }
  for (const auto& [i, r] : model) EXPECT_EQ(table.at(i), r);
  EXPECT_THROW((void)table.at(701), std::out_of_range);
  EXPECT_EQ(table.changed_ids(table), std::vector<std::uint32_t>{});
}

TEST(PolicyTable, TablesThatShareNothingDifferInEveryIdEitherHolds) {
  PolicyTable a, b;
  for (std::uint32_t i : {1, 2, 200}) a.insert_or_assign(row(i, 1));
  for (std::uint32_t i : {2, 3}) b.insert_or_assign(row(i, 1));
  EXPECT_EQ(a.changed_ids(b), (std::vector<std::uint32_t>{1, 2, 3, 200}));
  EXPECT_FALSE(a == b);
  PolicyTable empty;
  EXPECT_EQ(empty.begin(), empty.end());
  EXPECT_EQ(empty.changed_ids(a), (std::vector<std::uint32_t>{1, 2, 200}));
}

}  // namespace
}  // namespace vtap

#endif
