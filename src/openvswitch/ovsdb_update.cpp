// OvsdbSchema::apply: RFC 7047 monitor updates, and the <row-update2> diffs of monitor_cond.

#include "libvtap/openvswitch/ovsdb_update.hpp"

#include <algorithm>

#include "libvtap/model/error.hpp"

namespace vtap {

using nlohmann::json;

const OvsdbSnapshot::Rows& OvsdbSnapshot::rows(const std::string& table) const {
  static const Rows none;
  auto it = tables_.find(table);
  return it == tables_.end() ? none : *it->second;
}

OvsdbSnapshot::Rows& OvsdbSnapshot::mutable_rows(const std::string& table) {
  std::shared_ptr<const Rows>& shared = tables_[table];
  // Only copies of this snapshot hold its tables, and a copy only ever adds to the count
  // while this snapshot holds one: a count of 1 cannot grow under us.
  if (!shared || shared.use_count() > 1) shared = std::make_shared<Rows>(shared ? *shared : Rows());
  return const_cast<Rows&>(*shared);  // NOLINT(cppcoreguidelines-pro-type-const-cast): made non-const just above
}

std::uint64_t OvsdbSnapshot::changed_in(std::initializer_list<const char*> names) const {
  std::uint64_t last = 0;
  for (const char* name : names)
    if (auto it = changed.find(name); it != changed.end()) last = std::max(last, it->second);
  return last;
}

std::string ovsdb_uuid(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid" && value[1].is_string()) return value[1];
  throw Error("OVSDB: " + value.dump() + " is not a UUID");
}

json ovsdb_set_atoms(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].is_array()) return value[1];
  return json::array({value});
}

OvsdbSchema::OvsdbSchema(const json& schema) {
  for (const auto& [table, t] : schema.at("tables").items())
    for (const auto& [column, c] : t.at("columns").items()) {
      const json& type = c.at("type");
      Kind kind = Kind::atom;
      if (type.is_object()) {
        const json min = type.value("min", json(1)), max = type.value("max", json(1));
        if (type.contains("value")) kind = Kind::map;
        else if (min != 1 || max != 1) kind = Kind::set;
      }
      kinds_[table][column] = kind;
    }
}

namespace {
json map_pairs(const json& value) {
  return value.is_array() && value.size() == 2 && value[1].is_array() ? value[1] : json::array();
}
}  // namespace

json OvsdbSchema::diff(Kind kind, const json& current, const json& change) {
  switch (kind) {
    case Kind::atom: return change;
    case Kind::set: {
      json atoms = current.is_null() ? json::array() : ovsdb_set_atoms(current);
      for (const json& atom : ovsdb_set_atoms(change)) {
        auto it = std::find(atoms.begin(), atoms.end(), atom);
        if (it != atoms.end()) atoms.erase(it);
        else atoms.push_back(atom);
      }
      return json::array({"set", atoms});
    }
    case Kind::map: {
      json pairs = current.is_null() ? json::array() : map_pairs(current);
      for (const json& pair : map_pairs(change)) {
        if (!pair.is_array() || pair.size() != 2) continue;
        auto it = std::find_if(pairs.begin(), pairs.end(), [&](const json& p) { return p.at(0) == pair[0]; });
        if (it == pairs.end()) pairs.push_back(pair);
        else if ((*it)[1] == pair[1]) pairs.erase(it);
        else (*it)[1] = pair[1];
      }
      return json::array({"map", pairs});
    }
  }
  return change;
}

void OvsdbSchema::apply(OvsdbSnapshot& snapshot, bool clear, const json& updates, int version) const {
  const std::uint64_t next = snapshot.version + 1;
  if (clear) {
    for (const auto& [table, rows] : snapshot.tables()) snapshot.changed[table] = next;
    snapshot.clear_tables();
  }
  for (const auto& [table, rows] : updates.items()) {
    snapshot.changed[table] = next;
    auto kinds = kinds_.find(table);
    auto& table_rows = snapshot.mutable_rows(table);
    for (const auto& [uuid, change] : rows.items()) {
      if (version == 1) {
        if (!change.contains("new")) table_rows.erase(uuid);
        else table_rows[uuid].update(change.at("new"));
        continue;
      }
      for (const auto& [what, row] : change.items()) {
        if (what == "delete") {
          table_rows.erase(uuid);
        } else if (what == "modify") {
          json& current = table_rows[uuid];
          for (const auto& [column, d] : row.items()) {
            Kind kind = Kind::atom;
            if (kinds != kinds_.end())
              if (auto k = kinds->second.find(column); k != kinds->second.end()) kind = k->second;
            current[column] = diff(kind, current.value(column, json()), d);
          }
        } else {  // initial, insert
          table_rows[uuid] = row;
        }
      }
    }
  }
  snapshot.version = next;
}

}  // namespace vtap
