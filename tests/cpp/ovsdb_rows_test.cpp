// The rows of a replica's table (ovsdb_rows.hpp): a map by UUID, against std::map over random
// changes, whose copies share every row a change did not touch and name those it did.

#ifdef VTAP_WITH_OPENVSWITCH

#include "libvtap/openvswitch/ovsdb_rows.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace vtap {
namespace {

using nlohmann::json;

std::map<std::string, json> as_map(const OvsdbRows& rows) {
  std::map<std::string, json> out;
  for (const auto& [uuid, row] : rows) EXPECT_TRUE(out.emplace(uuid, row).second) << uuid << " visited twice";
  return out;
}

TEST(OvsdbRows, BehavesAsAMapByUuidOverRandomChanges) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> uuid(0, 299), op(0, 3);
  OvsdbRows rows;
  std::map<std::string, json> model;
  for (int step = 0; step < 5000; ++step) {
    const std::string u = "u" + std::to_string(uuid(rng));
    switch (op(rng)) {
      case 0:
      case 1:
        rows[u]["n"] = step;
        model[u]["n"] = step;
        break;
      case 2: EXPECT_EQ(rows.erase(u), model.erase(u)); break;
      default: {
        OvsdbRows copy = rows;  // a copy changed apart from the original
        copy[u] = "changed";
        EXPECT_EQ(copy.at(u), "changed");
        EXPECT_EQ(rows.contains(u), model.contains(u));
      }
    }
    EXPECT_EQ(rows.size(), model.size());
    EXPECT_EQ(rows.find(u) == rows.end(), !model.contains(u));
  }
  EXPECT_EQ(as_map(rows), model);
  EXPECT_THROW((void)rows.at("absent"), std::out_of_range);
  rows.clear();
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(rows.begin(), rows.end());
}

TEST(OvsdbRows, ACopySharesEveryRowAChangeDidNotTouchAndNamesThoseItDid) {
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
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> changed{"new", "u17", "u4000"};
  EXPECT_EQ(sorted(copy.changed_uuids(rows)), changed);
  EXPECT_EQ(sorted(rows.changed_uuids(copy)), changed);
  EXPECT_TRUE(copy.changed_uuids(copy).empty());
  // Rows changed through operator[] count as changed, whatever they were changed to.
  OvsdbRows again = copy;
  again["u18"] = 18;
  EXPECT_EQ(again.changed_uuids(copy), std::vector<std::string>{"u18"});
  // Tables that share nothing differ in every row.
  OvsdbRows apart_table;
  apart_table["u1"] = 1;
  EXPECT_EQ(apart_table.changed_uuids(OvsdbRows()), std::vector<std::string>{"u1"});
  EXPECT_EQ(sorted(apart_table.changed_uuids(rows)).size(), 5000U);
}

}  // namespace
}  // namespace vtap

#endif
