// Applying monitor updates to a replica (ovsdb_update.hpp): <table-updates2> initial, insert,
// modify (atoms replaced; sets and maps as symmetric differences), delete; and version 1.

#ifdef VTAP_WITH_OPENVSWITCH

#include "libvtap/openvswitch/ovsdb_update.hpp"

#include <gtest/gtest.h>

namespace vtap {
namespace {

using nlohmann::json;

const json schema = json::parse(R"({"name": "T", "version": "1.0.0", "tables": {"R": {"columns": {
  "name": {"type": "string"},
  "tags": {"type": {"key": "string", "min": 0, "max": "unlimited"}},
  "opts": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}}}}})");

TEST(OvsdbUpdate, ModifyReplacesAtomsAndTogglesSetAndMapMembers) {
  OvsdbSnapshot s;
  const OvsdbSchema sch(schema);
  sch.apply(s, true, json::parse(R"({"R": {"u1": {"initial": {"name": "a", "tags": ["set", ["x", "y"]],
                                               "opts": ["map", [["k", "1"], ["j", "2"]]]}}}})"), 3);
  sch.apply(s, false, json::parse(R"({"R": {"u1": {"modify": {"name": "b", "tags": ["set", ["y", "z"]],
                                               "opts": ["map", [["k", "1"], ["j", "3"], ["n", "4"]]]}}}})"), 3);
  const json& row = s.rows("R").at("u1");
  EXPECT_EQ(row["name"], "b");
  EXPECT_EQ(row["tags"], json::parse(R"(["set", ["x", "z"]])"));
  EXPECT_EQ(row["opts"], json::parse(R"(["map", [["j", "3"], ["n", "4"]]])"));
  // A set of one element is sent as the bare atom.
  sch.apply(s, false, json::parse(R"({"R": {"u1": {"modify": {"tags": "x"}}}})"), 2);
  EXPECT_EQ(s.rows("R").at("u1")["tags"], json::parse(R"(["set", ["z"]])"));
  sch.apply(s, false, json::parse(R"({"R": {"u1": {"delete": null}, "u2": {"insert": {"name": "c"}}}})"), 2);
  EXPECT_EQ(s.rows("R").size(), 1U);
  EXPECT_EQ(s.version, 4U);
  sch.apply(s, true, json::parse(R"({"R": {"u3": {"new": {"name": "d"}}}})"), 1);
  EXPECT_EQ(s.rows("R").begin()->first, "u3");
  EXPECT_TRUE(s.rows("Missing").empty());
}

TEST(OvsdbUpdate, ACopySharesTheTablesAnUpdateDidNotTouch) {
  OvsdbSnapshot s;
  const OvsdbSchema sch(schema);
  sch.apply(s, true, json::parse(R"({"R": {"u1": {"initial": {"name": "a"}}}, "S": {"v1": {"initial": {}}}})"), 2);
  const OvsdbSnapshot before = s;
  EXPECT_EQ(&before.rows("R"), &s.rows("R"));
  sch.apply(s, false, json::parse(R"({"R": {"u1": {"modify": {"name": "b"}}}})"), 2);
  EXPECT_EQ(before.rows("R").at("u1")["name"], "a");  // the copy keeps what it saw
  EXPECT_EQ(s.rows("R").at("u1")["name"], "b");
  EXPECT_EQ(&before.rows("S"), &s.rows("S"));  // untouched: still one table
  EXPECT_EQ(s.changed_in({"S"}), 1U);
  EXPECT_EQ(s.changed_in({"R", "S"}), 2U);
  // Once no copy shares it, a table is changed where it is.
  const OvsdbSnapshot::Rows* own = &s.rows("R");
  sch.apply(s, false, json::parse(R"({"R": {"u2": {"insert": {"name": "c"}}}})"), 2);
  EXPECT_EQ(&s.rows("R"), own);
  EXPECT_EQ(before.rows("R").size(), 1U);
}

TEST(OvsdbUpdate, UuidsAndSetsAreReadOrRefusedByName) {
  EXPECT_EQ(ovsdb_uuid(json::parse(R"(["uuid", "abc"])")), "abc");
  EXPECT_THROW(ovsdb_uuid(json("abc")), Error);
  EXPECT_EQ(ovsdb_set_atoms(json("a")), json::array({"a"}));
  EXPECT_EQ(ovsdb_set_atoms(json::parse(R"(["set", []])")), json::array());
}

}  // namespace
}  // namespace vtap

#endif
