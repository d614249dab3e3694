#pragma once
/// @file
/// The `VTAP` database (schema/vtap.ovsschema, docs/cluster.md) read into plain values, and
/// the pure rules every vtapd and agent of a cluster applies to it (docs/design.md §6.7): the
/// global topology, which nodes a policy touches, and what each node installs while a
/// change moves through its phases.
///
/// A change to policy P is carried in P's row in steps, each acknowledged by every node it
/// touches (Node_Status.applied ≥ the row's generation) before the next is written:
///
/// | row                               | P's rewriting nodes install | every other node installs |
/// |-----------------------------------|-----------------------------|---------------------------|
/// | phase=prepare, previous=OLD       | OLD (nothing for a create)  | NEW and OLD               |
/// | phase=commit, previous=OLD        | NEW (nothing for a remove)  | NEW and OLD               |
/// | phase=commit, previous=""         | NEW                         | NEW                       |
///
/// A rewriting node holds P's sender (or, for Direction::both, receiver) port: it makes
/// the copies. So copies start only once every node on their path can carry and recover
/// them, and stop before those paths go. A remove is written as commit with spec "", and
/// the row is deleted once acknowledged.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "libvtap/model/policy.hpp"
#include "libvtap/model/topology.hpp"
#include "libvtap/openvswitch/node_facts.hpp"
#include "libvtap/openvswitch/ovsdb_replica.hpp"
#include "libvtap/openvswitch/shared_rows.hpp"
#include "libvtap/service/policy_stats.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap {

/// The database's name in vtap.ovsschema.
inline constexpr const char* cluster_database = "VTAP";

/// One row of the Policy table.
struct PolicyRow {
  std::string uuid;
  std::uint32_t id = 0;
  std::string tenant;
  std::optional<TapPolicy> spec;      ///< What the policy is to be; none while it is removed.
  std::optional<TapPolicy> previous;  ///< What some node may still hold; none when settled.
  bool prepare = false;               ///< phase=prepare (else commit).
  std::uint64_t generation = 0;       ///< The global generation that wrote this step.
  std::set<std::string> nodes;        ///< The nodes this step touches.
  std::set<std::string> marks;        ///< UUIDs of the Mark rows its copies use.
  /// True when the row needs no further step.
  bool settled() const { return !prepare && !previous && spec; }
  bool operator==(const PolicyRow&) const = default;
};

/// The parts a PolicyTable is indexed in: 64 ids each, so that it is visited in id order.
struct PolicyRowPart {
  std::size_t operator()(std::uint32_t id) const noexcept { return id / 64; }
};
/// Policy rows by id, in id order. Copies share the rows they do not change, so keeping the
/// table of the last view costs little, and changed_keys() tells what a view changed since.
using PolicyTable = SharedRows<std::uint32_t, PolicyRow, PolicyRowPart>;

/// One node: its published facts and status.
struct NodeRow {
  std::string uuid, name, status_uuid;
  /// Shared by the views read while the Node table does not change (never null in a view
  /// read_cluster made).
  std::shared_ptr<const NodeFacts> facts;
  std::uint64_t applied = 0;
  std::string error;
};

/// The whole database, read.
struct ClusterView {
  std::string global_uuid;  ///< Empty until a vtapd has initialised the database.
  std::uint64_t generation = 0;
  std::uint32_t next_policy_id = 1;
  PolicyTable policies;
  std::map<std::string, NodeRow> nodes;
  std::map<std::string, std::uint16_t> marks;      ///< stream → VLAN ID
  std::map<std::string, std::string> mark_uuids;   ///< stream → Mark row
  std::vector<std::string> problems;  ///< Rows that could not be read, each named.
  std::uint64_t nodes_version = 0;    ///< When the Node table last changed (OvsdbSnapshot::changed).
  /// The Policy rows of the snapshot it was read from: what the next read_cluster compares
  /// its snapshot's with.
  OvsdbRows policy_source;
};

/// Reads a snapshot of the VTAP database. Rows that do not parse are left out and named in
/// `problems` (the database is shared: one bad row must not stop every agent). With
/// `previous`, a view it returned for an earlier snapshot of the same replica, nodes' facts are
/// taken from it unless the Node table changed since (statuses are always read anew), and so
/// are the Policy rows but those the snapshots do not share (SharedRows::changed_keys()),
/// which are read again: the view then costs what the Policy table changed, and holds the
/// rows a read without `previous` gives (the rows of a table whose index on policy_id holds).
ClusterView read_cluster(const OvsdbSnapshot& snapshot, const ClusterView* previous = nullptr);

/// The topology of every node's published facts (switches named `NODE.BRIDGE`).
Topology cluster_topology(const ClusterView& view);

/// The node a switch of cluster_topology() belongs to (`NODE` of `NODE.BRIDGE`).
std::string node_of(const std::string& switch_name);

/// What one policy puts where, translated alone (with `marks` as assigned marks).
struct Footprint {
  std::set<std::string> nodes;      ///< Every node it puts a rule on.
  std::set<std::string> rewriting;  ///< The nodes of its rewriting rules.
  std::map<std::string, std::uint16_t> marks;  ///< The streams it uses.
};
/// Throws PolicyError like Translator::add.
Footprint footprint(const Topology& topology, const TapPolicy& policy, const TranslatorOptions& options,
                    const std::map<std::string, std::uint16_t>& marks);

/// The id under which a node that is not a rewriting node holds a policy's previous version
/// next to its new one: policy ids of a cluster stay below it (vtap.ovsschema).
inline constexpr std::uint32_t previous_id_bit = 0x40000000U;

/// The policies `node` installs now for one Policy row (the table above): none, the row's
/// current or previous version, or both (the previous one under previous_id_bit).
std::vector<TapPolicy> row_policies(const PolicyRow& row, const Topology& topology, const std::string& node,
                                    const TranslatorOptions& options,
                                    const std::map<std::string, std::uint16_t>& marks);

/// The policies `node` installs now (the table above): every row's current versions by id,
/// then the previous versions it holds.
std::vector<TapPolicy> node_policies(const ClusterView& view, const Topology& topology, const std::string& node,
                                     const TranslatorOptions& options);

/// A node's per-policy counters as its agent writes them to `Node_Status.stats`: JSON, policy
/// id → [packets, bytes, copies, copy_bytes]; "" (the column's default) for none.
std::string node_stats_text(const std::map<std::uint32_t, PolicyStats>& stats);

/// Every node's published counters summed per policy, by the id the node holds them under (a
/// previous version's has previous_id_bit). A `Node_Status.stats` that does not parse counts
/// nothing.
std::map<std::uint32_t, PolicyStats> cluster_stats(const OvsdbSnapshot& snapshot);

/// True when every node `row` touches has applied its generation (nodes that left the
/// cluster count as done).
bool step_acknowledged(const ClusterView& view, const PolicyRow& row);

}  // namespace vtap
