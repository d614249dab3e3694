#pragma once
/// @file
/// Applying what an OVSDB server sends to a monitor (RFC 7047 <table-updates>, and the
/// <table-updates2> of monitor_cond / monitor_cond_since) to a replica: a pure function over
/// JSON, so that the replica's decoder can be tested and fuzzed without a server.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "libvtap/model/error.hpp"
#include "libvtap/openvswitch/shared_rows.hpp"

namespace vtap {

/// The parts a table's rows are indexed in: by a hash of their UUID, 256 of them.
struct OvsdbRowPart {
  std::size_t operator()(const std::string& uuid) const noexcept { return std::hash<std::string>{}(uuid) % 256; }
};
/// The rows of one table: row UUID → row, shared by the snapshots that did not change them,
/// visited in an order that only depends on the UUIDs the table holds.
using OvsdbRows = SharedRows<std::string, nlohmann::json, OvsdbRowPart>;

/// The contents of a database at one moment: table name → row UUID → row. Rows are in
/// RFC 7047 notation (`["set", [...]]`, `["uuid", "..."]`, `["map", [...]]`); columns that
/// hold their default value may be absent (servers leave them out).
///
/// Copies share their tables until one of them changes a table (copy on write), and a table
/// copied so shares every row it does not change (OvsdbRows), so a replica that publishes a
/// copy after every update copies only what the update touched.
class OvsdbSnapshot {
 public:
  using Rows = OvsdbRows;

  std::uint64_t version = 0;  ///< Grows with every update applied.
  /// Per table, the `version` of the last update that changed it (absent: never changed).
  std::map<std::string, std::uint64_t> changed;
  /// The largest changed[] of `tables` (0 when none changed): whether something a reader
  /// depends on moved since it last looked.
  std::uint64_t changed_in(std::initializer_list<const char*> tables) const;

  /// The rows of `table` (an empty map when it has none).
  const Rows& rows(const std::string& table) const;
  /// The rows of `table` to change (made when missing), first made this snapshot's own when a
  /// copy shares them.
  Rows& mutable_rows(const std::string& table);
  /// Every table that has been made, by name.
  const std::map<std::string, std::shared_ptr<const Rows>>& tables() const noexcept { return tables_; }
  /// Drops every table.
  void clear_tables() noexcept { tables_.clear(); }

 private:
  std::map<std::string, std::shared_ptr<const Rows>> tables_;
};

/// What a schema says about each column that updates need: whether a <row-update2>
/// "modify" of it replaces an atom, or is the symmetric difference of a set or a map.
class OvsdbSchema {
 public:
  OvsdbSchema() = default;
  /// Throws nlohmann::json::exception when `schema` is not a <database-schema>.
  explicit OvsdbSchema(const nlohmann::json& schema);

  /// Applies `updates` (a <table-updates> for `version` 1, else a <table-updates2>) to
  /// `snapshot`, first emptying it when `clear`. Throws nlohmann::json::exception (or
  /// std::out_of_range) on a malformed update, leaving `snapshot` partly updated.
  void apply(OvsdbSnapshot& snapshot, bool clear, const nlohmann::json& updates, int version) const;

 private:
  enum class Kind { atom, set, map };
  std::map<std::string, std::map<std::string, Kind>> kinds_;
  static nlohmann::json diff(Kind kind, const nlohmann::json& current, const nlohmann::json& change);
};

/// `["uuid", "..."]` → the UUID text; throws vtap::Error for anything else.
std::string ovsdb_uuid(const nlohmann::json& value);
/// An OVSDB set value (`["set", [...]]`, or a single atom) as a JSON array of its atoms.
nlohmann::json ovsdb_set_atoms(const nlohmann::json& value);

}  // namespace vtap
