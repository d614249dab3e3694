// Fuzzes what a cluster's agents and vtapds read from the VTAP database: any bytes, taken as
// the <table-updates2> a server sends (then again as a modify of what they made), are
// applied to a replica with the real schema, read as a ClusterView, turned into the global
// topology, each node's policies and plan (built, then following the view without its first
// row) and the nodes' summed counters. Nothing may crash; bad rows and topologies throw
// vtap::Error or are named in ClusterView::problems.
#include <cstddef>
#include <cstdint>
#include <fstream>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/cluster/cluster_translator.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/openvswitch/ovsdb_update.hpp"

namespace {
const vtap::OvsdbSchema& schema() {
  static const vtap::OvsdbSchema s(nlohmann::json::parse(std::ifstream(VTAP_SCHEMA_SOURCE)));
  return s;
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
  (void)vtap::read_cluster(snapshot, &view);
  try {
    const vtap::Topology topology = vtap::cluster_topology(view);
    vtap::ClusterView fewer = view;
    if (!fewer.policies.empty()) fewer.policies.erase(fewer.policies.begin());
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
