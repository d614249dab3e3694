// The rows of a replica's table (ovsdb_rows.hpp): a map by UUID, against std::map over random
// changes, whose copies share every part a change did not touch.

#ifdef VTAP_WITH_OPENVSWITCH

#include "libvtap/openvswitch/ovsdb_rows.hpp"

#include <gtest/gtest.h>

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

TEST(OvsdbRows, ACopySharesEveryPartAChangeDidNotTouch) {
  OvsdbRows rows;
  for (int i = 0; i < 5000; ++i) rows["u" + std::to_string(i)] = i;
  OvsdbRows copy = rows;
  copy["u17"] = "changed";
  copy.erase("u4000");
  EXPECT_EQ(rows.at("u17"), 17);
  EXPECT_EQ(rows.size(), 5000U);
  EXPECT_EQ(copy.size(), 4999U);
  std::size_t apart = 0;
  for (const auto& [uuid, row] : copy) apart += &row != &rows.at(uuid);
  // Only the two parts the change touched were copied (about 2 * 5000 / 256 rows).
  EXPECT_GT(apart, 0U);
  EXPECT_LT(apart, 2 * 5000 / OvsdbRows::parts * 3);
}

}  // namespace
}  // namespace vtap

#endif
