#pragma once
/// @file
/// Topology discovery from Open vSwitch databases (OVSDB), the way OpenStack (Neutron/Nova)
/// and OVN mark VM interfaces. Available when libvtap is built with libopenvswitch
/// (CMake option VTAP_WITH_OPENVSWITCH, target libvtap::openvswitch).
///
/// One database per compute node. What is read:
///
/// | OVSDB                                              | becomes                                   |
/// |----------------------------------------------------|-------------------------------------------|
/// | Bridge `name`                                      | a Switch (see naming below)               |
/// | Bridge `datapath_id` (else `other_config:datapath-id`) | Switch::dpid                          |
/// | Interface with `external_ids:attached-mac` and an `ofport` | a Host on that port               |
/// | ... `external_ids:iface-id` (else the interface name) | Host::name                             |
/// | ... `external_ids:ip` (IPv4 or IPv6; not standard, optional) | Host::ip / Host::ipv6            |
/// | ... `external_ids:tenant` (not standard, optional) | Host::tenant                              |
/// | Interface `type=patch` with `options:peer`         | a Link between the two patch ports        |
/// | tunnel Interface (`vxlan`, `gre`, `geneve`, ...) with `options:remote_ip=flow` | Switch::tunnel_port (the lowest such ofport) |
/// | ... of type `vxlan`, `gre`, `erspan` or `geneve` | Switch::tunnel_ports[type] (the lowest of that type) |
/// | tunnel Interface with `options:remote_ip=R` on node A, R a local IP of node B, and a tunnel on B whose remote_ip is a local IP of A | a Link between the two tunnel ports |
///
/// A node's local IPs are its `Open_vSwitch` row's `external_ids:ovn-encap-ip` (OVN's
/// setting; several may be comma-separated) and `external_ids:vtap-local-ip`, and the
/// `options:local_ip` of its tunnel interfaces. `external_ids:vm-uuid` is read but not
/// needed. Interfaces without an ofport (or ofport -1) and bridges' internal LOCAL ports
/// are skipped.
///
/// Naming: with one database, a Switch is named by its bridge (`br-int`); with several,
/// by `NODE.BRIDGE`, NODE being the `Open_vSwitch` row's `external_ids:hostname`, else its
/// `external_ids:system-id`, else `node1`, `node2`... in the order given. A Host without
/// `iface-id` is named by its interface name, prefixed `NODE.` in the several-database case.
/// The result is deterministic (sorted), whatever order OVSDB returns rows in.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libvtap/model/topology.hpp"
#include "libvtap/openvswitch/node_facts.hpp"

namespace vtap {

struct DiscoveryOptions {
  /// How long to wait for each database to answer.
  std::chrono::milliseconds timeout{10000};
};

/// Reads the topology from every database in `databases` (OVSDB remotes such as
/// `unix:/run/openvswitch/db.sock` or `tcp:127.0.0.1:6640`). Throws Error naming the
/// database when one does not answer in time, and TopologyError (naming the bridge or
/// interface) when what it holds does not make a valid Topology.
Topology discover_topology(const std::vector<std::string>& databases, const DiscoveryOptions& options = {});

/// The facts of one database, for topology_from_nodes() (throws like discover_topology).
NodeFacts read_node_facts(const std::string& database, const DiscoveryOptions& options = {});

/// Keeps an IDL replica of one node's database open and tells when its facts change (what a
/// cluster agent publishes). Call poll() from one thread.
class NodeWatch {
 public:
  /// Connects and reads the first facts (throws like discover_topology).
  explicit NodeWatch(std::string database, DiscoveryOptions options = {});
  ~NodeWatch();
  NodeWatch(const NodeWatch&) = delete;
  NodeWatch& operator=(const NodeWatch&) = delete;
  /// Processes what the database sent, waiting at most `timeout` for something; returns true
  /// when the facts changed.
  bool poll(std::chrono::milliseconds timeout);
  const NodeFacts& facts() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A VM interface that appeared, disappeared or moved between two discoveries.
struct HostChange {
  enum class Kind { added, removed, moved };
  Kind kind = Kind::added;
  Host host;                   ///< The host as it is now (as it was, for `removed`).
  std::optional<Host> before;  ///< For `moved`: where it was.
  bool operator==(const HostChange&) const = default;
};

/// Hosts that differ between `before` and `after`, by name, sorted by name.
std::vector<HostChange> host_changes(const Topology& before, const Topology& after);

/// Keeps IDL replicas of the databases open and reports VM interfaces that are added,
/// removed or moved. Call poll() from one thread, e.g. a loop of your own.
class TopologyWatch {
 public:
  using Callback = std::function<void(const Topology& now, const std::vector<HostChange>& changes)>;
  /// Connects and reads the first topology (throws like discover_topology).
  TopologyWatch(std::vector<std::string> databases, Callback on_change, DiscoveryOptions options = {});
  ~TopologyWatch();
  TopologyWatch(const TopologyWatch&) = delete;
  TopologyWatch& operator=(const TopologyWatch&) = delete;

  /// Processes what the databases sent, waiting at most `timeout` for something; when a
  /// database changed, rebuilds the topology and calls the callback if any host changed.
  /// Returns true when it called the callback.
  bool poll(std::chrono::milliseconds timeout);
  const Topology& topology() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtap
