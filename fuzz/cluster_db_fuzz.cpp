// Fuzzes what a cluster's agents and vtapds read from the VTAP database: any bytes, taken as
// the <table-updates2> a server sends (then again as a modify of what they made), are
// applied to a replica with the real schema, read as a ClusterView, turned into the global
// topology, each node's policies and plan (built, then following the view without its first
// row) and the nodes' summed counters; a view read from that one after some rows changed must
// be the view read afresh. Nothing may crash; bad rows and topologies throw
// vtap::Error or are named in ClusterView::problems.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/cluster/cluster_translator.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/openvswitch/ovsdb_update.hpp"

namespace {
const vtap::OvsdbSchema& schema() {
  static const vtap::OvsdbSchema s(nlohmann::json::parse(std::ifstream(VTAP_SCHEMA_SOURCE)));
  return s;
}
// A view read from `before`'s after some Policy rows were rewritten (a new generation) or
// deleted in a copy, as a replica publishes them, must hold the rows a fresh read does.
void check_read_from(const vtap::ClusterView& before, const vtap::OvsdbSnapshot& snapshot) {
  std::set<std::uint32_t> ids;
  std::vector<std::string> uuids;
  for (const auto& [uuid, row] : snapshot.rows("Policy")) {
    uuids.push_back(uuid);
    try {
      if (!ids.insert(row.value("policy_id", 0U)).second) return;  // two rows of one id: the index forbids it
    } catch (const std::exception&) {
    }
  }
  vtap::OvsdbSnapshot next = snapshot;
  auto& rows = next.mutable_rows("Policy");
  for (std::size_t i = 0; i < uuids.size(); ++i) {
    if (i % 3 == 0) rows.erase(uuids[i]);
    else if (i % 3 == 1 && rows[uuids[i]].is_object()) rows[uuids[i]]["generation"] = 1ULL << 40;
  }
  if (vtap::read_cluster(next, &before).policies != vtap::read_cluster(next).policies) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto updates = nlohmann::json::parse(data, data + size, nullptr, false);
  if (updates.is_discarded() || !updates.is_object()) return 0;
  vtap::OvsdbSnapshot snapshot;
  try {
    schema().apply(snapshot, true, updates, 2);
    nlohmann::json modify = nlohmann::json::object();
    for (const auto& [table, rows] : snapshot.tables())
      for (const auto& [uuid, row] : *rows) modify[table][uuid] = {{"modify", row}};
    schema().apply(snapshot, false, modify, 2);
  } catch (const nlohmann::json::exception&) {
  } catch (const std::out_of_range&) {
  } catch (const vtap::Error&) {
  }
  const vtap::ClusterView view = vtap::read_cluster(snapshot);
  check_read_from(view, snapshot);
  try {
    const vtap::Topology topology = vtap::cluster_topology(view);
    vtap::ClusterView fewer = view;
    if (!fewer.policies.empty()) fewer.policies.erase(fewer.policies.begin()->first);
    for (const auto& [name, node] : view.nodes) {
      (void)vtap::node_policies(view, topology, name, {});
      auto plan = vtap::ClusterTranslator::for_node(name, {});
      (void)plan.follow(view, topology);
      (void)plan.follow(fewer, topology);
    }
  } catch (const vtap::Error&) {
  }
  for (const auto& [id, row] : view.policies) (void)vtap::step_acknowledged(view, row);
  (void)vtap::cluster_stats(snapshot);
  return 0;
}
