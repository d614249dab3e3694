// The cluster agent (agent.hpp): one loop that publishes the node, keeps this node's plan in
// step with the VTAP database (cluster_translator.hpp) and installs what changed.

#include "libvtap/cluster/agent.hpp"

#include <mutex>
#include <optional>
#include <set>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/cluster/cluster_translator.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/native/native_transport.hpp"
#include "libvtap/openvswitch/discovery.hpp"
#include "libvtap/openvswitch/ovsdb_replica.hpp"

namespace vtap {

using nlohmann::json;

struct Agent::Impl {
  struct Peer {
    std::string target;
    std::unique_ptr<SwitchConnection> conn;
    std::string error;
    bool synced = false;  // holds the node's plan as last installed, over this connection
  };

  AgentOptions opt;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  AgentCounters counters;
  std::map<std::string, Peer> peers;  // by switch name (NODE.BRIDGE)
  std::uint64_t reported = 0;
  std::string reported_error = "-";
  std::set<std::uint32_t> my_rows;  // policies whose last step touched this node
  PolicyTable report_rows;          // the rows my_rows was computed from
  bool awaited = false;             // a step of this node's waits for a report
  std::optional<ClusterTranslator> plan;  // this node's; made once its name is known

  void log(const std::string& line) const {
    if (opt.log) opt.log(line);
  }

  NodeFacts managed(NodeFacts facts) const {
    std::erase_if(facts.interfaces, [&](const InterfaceFacts& i) { return !opt.switches.contains(i.bridge); });
    facts.name = opt.name;
    return facts;
  }

  // Inserts or updates this node's row; the name index keeps one row per node.
  void publish(OvsdbReplica& db, const NodeFacts& facts) {
    const std::string text = json(facts).dump();
    const auto snapshot = db.snapshot();
    const json* mine = nullptr;
    for (const auto& [uuid, row] : snapshot->rows("Node"))
      if (row.is_object() && row.value("name", json()) == opt.name) mine = &row;
    json ops = json::array();
    if (!mine) {
      ops.push_back({{"op", "insert"}, {"table", "Node_Status"}, {"row", {{"applied", 0}, {"error", ""}}},
                     {"uuid-name", "status"}});
      ops.push_back({{"op", "insert"},
                     {"table", "Node"},
                     {"row", {{"name", opt.name}, {"facts", text}, {"status", {"named-uuid", "status"}}}}});
    } else if (mine->value("facts", json()) != text) {
      ops.push_back({{"op", "update"},
                     {"table", "Node"},
                     {"where", json::array({json::array({"name", "==", opt.name})})},
                     {"row", {{"facts", text}}}});
    } else {
      return;
    }
    db.transact(ops, std::chrono::seconds(10));
    log("published node " + opt.name + " (" + std::to_string(facts.interfaces.size()) + " interfaces)");
  }

  // Brings this node's switches to its part of `view`. A switch that holds the plan as last
  // installed gets only what the view changed; every switch gets its whole plan (read back,
  // diffed) when `whole` (a reconciliation), when the plan was built anew, and when it was
  // reconnected or failed since. Returns "" or what failed.
  std::string install(const ClusterView& view, const Topology& topology, bool whole) {
    const std::optional<PlanDelta> delta = plan->follow(view, topology);
    std::string errors = plan->errors();
    std::uint64_t sent = 0;
    for (auto& [name, peer] : peers) {
      try {
        const bool reconnect = !peer.conn || !peer.conn->is_open();
        if (reconnect) peer.conn = opt.transport->connect(peer.target, opt.session);
        const bool whole_switch = whole || !delta || !peer.synced || reconnect;
        peer.synced = false;  // until the switch confirms what it is sent
        openflow::ChangeSet change;
        if (whole_switch) {
          change = peer.conn->install(plan->plan(name), ownership(opt.translator)).change;
        } else if (auto d = delta->find(name); d != delta->end()) {
          change = openflow::diff(d->second.before, d->second.after);
          peer.conn->apply(change);
        }
        peer.synced = true;
        const std::uint64_t n = change.messages();
        if (n) log("switch " + name + ": " + change.summary());
        sent += n;
        peer.error.clear();
      } catch (const Error& e) {
        if (peer.error != e.what()) log("switch " + name + ": " + e.what());
        peer.error = e.what();
        if (peer.conn && !peer.conn->is_open()) peer.conn.reset();
        errors += std::string(errors.empty() ? "" : "; ") + name + ": " + e.what();
      }
    }
    std::lock_guard lock(mu);
    counters.modifications += sent;
    ++counters.passes;
    return errors;
  }

  // Reads every switch's counters and writes their per-policy sums (those not zero) to this
  // node's Node_Status when they changed. A switch that cannot be read counts nothing this time.
  void publish_stats(OvsdbReplica& db, const ClusterView& view) {
    std::map<std::uint32_t, PolicyStats> sums;
    for (auto& [name, peer] : peers) {
      if (!peer.conn || !peer.conn->is_open()) continue;
      try {
        add_switch_stats(sums, peer.conn->stats(), plan->translator()->tap_rules(name));
      } catch (const Error& e) {
        log("switch " + name + ": counters: " + e.what());
      }
    }
    std::erase_if(sums, [](const auto& entry) { return entry.second == PolicyStats{}; });  // vtapd counts those zero
    const std::string text = node_stats_text(sums);
    // The database is the record of what was published: write only what it does not hold.
    const std::string& status = view.nodes.at(opt.name).status_uuid;
    const auto snapshot = db.snapshot();
    const auto& rows = snapshot->rows("Node_Status");
    const auto row = rows.find(status);
    const json held = row == rows.end() ? json() : row->second.value("stats", json());
    if (text == (held.is_string() ? held.get<std::string>() : "")) return;
    update_status(db, status, {{"stats", text}});
  }

  static void update_status(OvsdbReplica& db, const std::string& status, json row) {
    db.transact(json::array({{{"op", "update"},
                              {"table", "Node_Status"},
                              {"where", json::array({json::array({"_uuid", "==", json::array({"uuid", status})})})},
                              {"row", std::move(row)}}}),
                std::chrono::seconds(10));
  }

  // Reports the generation once every switch holds it and a step that touches this node
  // (or the removal of one) waits for it; and any change of the error. Only the rows changed
  // since the last report are looked at: a report moves past every row's generation.
  void report(OvsdbReplica& db, const ClusterView& view, const std::string& error) {
    for (std::uint32_t id : view.policies.changed_keys(report_rows)) {
      auto row = view.policies.find(id);
      if (row != view.policies.end() && row->second.nodes.contains(opt.name)) {
        awaited = awaited || row->second.generation > reported;
        my_rows.insert(id);
      } else if (my_rows.erase(id)) {
        awaited = true;
      }
    }
    report_rows = view.policies;
    const std::uint64_t generation = peers_ok() && (awaited || reported == 0) ? view.generation : reported;
    if (generation == reported && error == reported_error) return;
    update_status(db, view.nodes.at(opt.name).status_uuid, {{"applied", generation}, {"error", error}});
    if (generation != reported) log("applied generation " + std::to_string(generation));
    if (generation == view.generation) awaited = false;
    reported = generation;
    reported_error = error;
    std::lock_guard lock(mu);
    counters.applied_generation = generation;
  }

  // Whether `now` changes anything of this node's since `before`: a step whose row lists it
  // (vtapd computes a row's nodes from the global topology), a row that listed it and went,
  // or new facts of any node. Other changes leave this node's plan as it is.
  bool concerns(const ClusterView& before, const ClusterView& now) const {
    if (before.nodes_version != now.nodes_version) return true;
    auto lists_me = [&](const ClusterView& v, std::uint32_t id) {
      auto row = v.policies.find(id);
      return row != v.policies.end() && row->second.nodes.contains(opt.name);
    };
    for (std::uint32_t id : now.policies.changed_keys(before.policies))
      if (lists_me(now, id) || lists_me(before, id)) return true;
    return false;
  }

  bool peers_ok() const {
    for (const auto& [name, peer] : peers)
      if (!peer.error.empty()) return false;
    return true;
  }
};

Agent::Agent(AgentOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.switches.empty()) throw Error("agent: no switch (give --switch BRIDGE=TARGET)");
  if (!options.transport) options.transport = make_native_transport();
  impl_->opt = std::move(options);
}

Agent::~Agent() = default;

void Agent::stop() noexcept { impl_->stopping = true; }

AgentCounters Agent::counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counters;
}

void Agent::run() {
  Impl& im = *impl_;
  NodeWatch local(im.opt.ovsdb);
  if (im.opt.name.empty()) im.opt.name = local.facts().name;
  if (im.opt.name.empty() || im.opt.name.find('.') != std::string::npos)
    throw Error("agent: node name '" + im.opt.name +
                "' is empty or holds '.' (give --name, or set external_ids:hostname in the node's Open_vSwitch row)");
  for (const auto& [bridge, target] : im.opt.switches) im.peers[im.opt.name + "." + bridge].target = target;
  im.plan.emplace(ClusterTranslator::for_node(im.opt.name, im.opt.translator));
  OvsdbReplica db(cluster_database, im.opt.database);
  im.log("node " + im.opt.name + ": connecting to " + im.opt.database);
  while (!im.stopping && !db.wait_until([](const OvsdbSnapshot&) { return true; }, std::chrono::milliseconds(200))) {
  }
  // Policy, Mark, Node and the generation are what this node's plan depends on; other
  // nodes' acknowledgements (Node_Status) are not, and do not wake the translator.
  std::uint64_t seen = 0;
  std::optional<ClusterView> last;  // nodes' facts and the topology are kept until Node changes
  std::optional<Topology> topology;
  auto next_reconcile = std::chrono::steady_clock::now();
  auto next_stats = next_reconcile + im.opt.stats_interval;
  bool publish_due = true;
  while (!im.stopping) {
    try {
      if (local.poll(std::chrono::milliseconds(0))) publish_due = true;
      if (publish_due) {
        im.publish(db, im.managed(local.facts()));
        publish_due = false;
      }
      const auto snapshot = db.snapshot();
      const std::uint64_t inputs = snapshot->changed_in({"Policy", "Mark", "Node", "VTAP_Global"});
      const bool reconcile_due = std::chrono::steady_clock::now() >= next_reconcile;
      if (inputs != seen || reconcile_due) {
        ClusterView view = read_cluster(*snapshot, last ? &*last : nullptr);
        const bool concerned = !last || reconcile_due || im.concerns(*last, view);
        if (!topology || !last || last->nodes_version != view.nodes_version) {
          topology.reset();
          topology = cluster_topology(view);
        }
        last = std::move(view);
        if (!concerned) {
          seen = inputs;
        } else if (!last->nodes.contains(im.opt.name)) {
          publish_due = true;  // not yet visible, or removed by an operator
        } else {
          seen = inputs;
          next_reconcile = std::chrono::steady_clock::now() + im.opt.reconcile_interval;
          im.report(db, *last, im.install(*last, *topology, reconcile_due));
        }
      }
      if (im.opt.stats_interval.count() > 0 && std::chrono::steady_clock::now() >= next_stats && last &&
          last->nodes.contains(im.opt.name) && im.plan->translator()) {
        next_stats = std::chrono::steady_clock::now() + im.opt.stats_interval;
        im.publish_stats(db, *last);
      }
    } catch (const Error& e) {
      im.log(std::string("failed: ") + e.what());
      publish_due = true;
    }
    db.wait_until(
        [&](const OvsdbSnapshot& s) { return s.changed_in({"Policy", "Mark", "Node", "VTAP_Global"}) != seen || im.stopping; },
        std::chrono::milliseconds(100));
  }
}

}  // namespace vtap
