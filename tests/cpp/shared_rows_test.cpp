// A map whose copies share their rows (shared_rows.hpp), as a replica's tables (OvsdbRows)
// and the cluster's Policy rows (PolicyTable) use it: against std::map over random changes and
// copies; copies share every row a change did not touch, and changed_keys() names exactly
// those it did.

#ifdef VTAP_WITH_OPENVSWITCH

#include "libvtap/openvswitch/shared_rows.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/openvswitch/ovsdb_update.hpp"

namespace vtap {
namespace {

using nlohmann::json;

template <class Rows>
auto as_map(const Rows& rows) {
  std::map<typename Rows::key_type, typename Rows::mapped_type> out;
  for (const auto& [key, row] : rows) EXPECT_TRUE(out.emplace(key, row).second) << key << " visited twice";
  return out;
}

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(SharedRows, BehavesAsAMapAndNamesWhatACopyChanged) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> uuid(0, 299), op(0, 3), steps(0, 12);
  OvsdbRows rows;
  std::map<std::string, json> model;
  for (int round = 0; round < 400; ++round) {
    const OvsdbRows before = rows;
    const auto model_before = model;
    std::set<std::string> touched;  // rows put or erased since the copy, and there before or after
    for (int n = steps(rng); n > 0; --n) {
      const std::string u = "u" + std::to_string(uuid(rng));
      switch (op(rng)) {
        case 0: rows[u]["n"] = model[u]["n"] = round; break;
        case 1: rows.insert_or_assign(u, model[u] = json{{"put", round}}); break;
        case 2: EXPECT_EQ(rows.erase(u), model.erase(u)); break;
        default: {
          OvsdbRows copy = rows;  // a copy changed apart from the original
          copy[u] = "changed";
          EXPECT_EQ(copy.at(u), "changed");
          EXPECT_EQ(copy.changed_keys(rows), std::vector<std::string>{u});
          continue;
        }
      }
      if (model.contains(u) || model_before.contains(u)) touched.insert(u);
      else touched.erase(u);
      EXPECT_EQ(rows.size(), model.size());
      EXPECT_EQ(rows.contains(u), model.contains(u));
    }
    EXPECT_EQ(as_map(rows), model);
    EXPECT_EQ(as_map(before), model_before) << "a copy changed with the map it was copied from";
    const std::vector<std::string> changed = rows.changed_keys(before);
    EXPECT_EQ(std::set<std::string>(changed.begin(), changed.end()), touched);
    EXPECT_EQ(changed.size(), touched.size());
    EXPECT_EQ(sorted(before.changed_keys(rows)), sorted(changed));
  }
  EXPECT_THROW((void)rows.at("absent"), std::out_of_range);
  rows.clear();
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(rows.begin(), rows.end());
}

TEST(SharedRows, ACopySharesEveryRowAChangeDidNotTouch) {
  OvsdbRows rows;
  for (int i = 0; i < 5000; ++i) rows["u" + std::to_string(i)] = i;
  OvsdbRows copy = rows;
  copy["u17"] = "changed";
  copy.erase("u4000");
  copy["new"] = 1;
  EXPECT_EQ(rows.at("u17"), 17);
  EXPECT_EQ(rows.size(), 5000U);
  EXPECT_EQ(copy.size(), 5000U);
  std::size_t apart = 0;
  for (const auto& [uuid, row] : copy) apart += rows.contains(uuid) && &row != &rows.at(uuid);
  EXPECT_EQ(apart, 1U);  // u17
  EXPECT_EQ(sorted(copy.changed_keys(rows)), (std::vector<std::string>{"new", "u17", "u4000"}));
  EXPECT_TRUE(copy.changed_keys(copy).empty());
  // Maps that share nothing differ in every row either holds.
  OvsdbRows other;
  other["u1"] = 1;
  EXPECT_EQ(other.changed_keys(OvsdbRows()), std::vector<std::string>{"u1"});
  EXPECT_EQ(other.changed_keys(rows).size(), 5000U);
}

TEST(SharedRows, APolicyTableIsVisitedInIdOrder) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> id(0, 5000);
  PolicyTable table;
  std::set<std::uint32_t> ids;
  for (int n = 0; n < 2000; ++n) {
    PolicyRow row;
    row.id = id(rng);
    ids.insert(row.id);
    table.insert_or_assign(row.id, row);
  }
  std::vector<std::uint32_t> visited;
  for (const auto& [i, row] : table) {
    EXPECT_EQ(row.id, i);
    visited.push_back(i);
  }
  EXPECT_EQ(visited, std::vector<std::uint32_t>(ids.begin(), ids.end()));
  PolicyTable copy = table;
  EXPECT_TRUE(copy == table);
  copy.erase(*ids.begin());
  copy[*ids.rbegin()].generation = 9;
  EXPECT_FALSE(copy == table);
  EXPECT_EQ(copy.changed_keys(table), (std::vector<std::uint32_t>{*ids.begin(), *ids.rbegin()}));
}

}  // namespace
}  // namespace vtap

#endif
