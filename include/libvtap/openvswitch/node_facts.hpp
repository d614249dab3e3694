#pragma once
/// @file
/// What one node's Open vSwitch database says about its bridges and interfaces, as
/// discovery reads it (discovery.hpp), and the topology several nodes' facts make. A cluster
/// agent publishes its node's facts, so that every agent and vtapd rebuilds the same global
/// topology from them without reaching any other node's database (docs/design.md §6.7).
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libvtap/model/topology.hpp"

namespace vtap {

/// One interface of one bridge, as the Open_vSwitch database holds it.
struct InterfaceFacts {
  std::string bridge, datapath_id, dpid_config, name, type;
  std::int64_t ofport = -1;
  std::string attached_mac, iface_id, vm_uuid, ip, tenant, peer, remote_ip, local_ip;
  auto operator<=>(const InterfaceFacts&) const = default;
};

/// One node: its name, where other nodes' tunnels reach it, its interfaces.
struct NodeFacts {
  std::string remote;               ///< The database read (only for error messages).
  std::string name;                 ///< external_ids:hostname, else system-id ("" when neither).
  std::set<std::string> local_ips;  ///< ovn-encap-ip, vtap-local-ip, tunnels' local_ip.
  std::vector<InterfaceFacts> interfaces;  ///< Sorted by bridge, then name.
  bool operator==(const NodeFacts&) const = default;
};

/// The topology of `nodes` (the table in discovery.hpp). With `prefixed`, switches are named
/// `NODE.BRIDGE` and unnamed hosts `NODE.INTERFACE` (nodes without a name become `node1`,
/// `node2`... in order); without it, names are the bridges' and interfaces' own. Throws
/// TopologyError naming the database and the bridge or interface that is not valid.
Topology topology_from_nodes(std::vector<NodeFacts> nodes, bool prefixed);

void to_json(nlohmann::json& j, const NodeFacts& n);
/// Throws nlohmann::json::exception naming a missing or mistyped key.
void from_json(const nlohmann::json& j, NodeFacts& n);

}  // namespace vtap
