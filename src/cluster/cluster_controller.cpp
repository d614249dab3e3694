// ClusterController: reads come from the replica; writes are transactions guarded by the
// global generation, retried on a fresh view; a thread moves changes through their phases.

#include "libvtap/cluster/cluster_controller.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "libvtap/cluster/cluster_translator.hpp"
#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/openvswitch/ovsdb_replica.hpp"

namespace vtap {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

struct State {
  std::uint64_t version = 0;
  ClusterView view;
  Topology topology;
  // The policies that do not resolve in `topology`: found once, when first asked.
  mutable std::once_flag inactive_once;
  mutable std::vector<std::uint32_t> inactive;
};

json where_id(std::uint32_t id) { return json::array({json::array({"policy_id", "==", id})}); }
json ovsdb_set(json atoms) { return json::array({"set", std::move(atoms)}); }
std::string text(const std::optional<TapPolicy>& p) { return p ? json(*p).dump() : std::string(); }

// The operations that make a write depend on the view it was computed from: the global
// generation must still be the view's, and becomes the next.
json guarded(const ClusterView& view, json ops, std::optional<std::uint32_t> next_policy_id = std::nullopt) {
  json global = {{"generation", view.generation + 1}};
  if (next_policy_id) global["next_policy_id"] = *next_policy_id;
  json out = json::array({{{"op", "wait"},
                           {"table", "VTAP_Global"},
                           {"where", json::array()},
                           {"columns", {"generation"}},
                           {"until", "=="},
                           {"rows", json::array({{{"generation", view.generation}}})},
                           {"timeout", 0}},
                          {{"op", "update"}, {"table", "VTAP_Global"}, {"where", json::array()}, {"row", global}}});
  for (auto& op : ops) out.push_back(std::move(op));
  return out;
}

// References to the Mark rows of `streams`, inserting (into `ops`) those the view lacks.
json mark_refs(const ClusterView& view, const std::map<std::string, std::uint16_t>& streams, json& ops) {
  json refs = json::array();
  for (const auto& [stream, vlan] : streams) {
    if (auto uuid = view.mark_uuids.find(stream); uuid != view.mark_uuids.end()) {
      refs.push_back(json::array({"uuid", uuid->second}));
      continue;
    }
    const std::string name = "mark" + std::to_string(refs.size());
    ops.push_back({{"op", "insert"}, {"table", "Mark"}, {"row", {{"stream", stream}, {"vlan", vlan}}}, {"uuid-name", name}});
    refs.push_back(json::array({"named-uuid", name}));
  }
  return ovsdb_set(std::move(refs));
}

}  // namespace

struct ClusterController::Impl {
  ClusterOptions opt;
  OvsdbReplica db;
  mutable std::mutex mu;
  mutable std::shared_ptr<const State> cache = std::make_shared<State>();
  std::vector<std::function<void(const ServiceEvent&)>> handlers;
  // Kept by the advancer thread alone, brought to each view by track().
  std::map<std::uint32_t, std::uint64_t> announced;  // policy → generation reported applied
  std::set<std::uint32_t> unsettled;                  // rows with a step in progress
  std::set<std::uint32_t> unannounced;                // settled rows not yet reported applied
  PolicyTable tracked;                                // the rows of the view they follow
  std::atomic<bool> stopping{false};
  std::thread advancer;
  // Every row's spec, translated and kept in step with the views requests are served from:
  // what writes are checked against, and what finds the policies that do not resolve.
  mutable std::mutex specs_mu;
  mutable ClusterTranslator specs = ClusterTranslator::for_specs(opt.translator);
  mutable std::uint64_t specs_at = 0;  // the State version `specs` follows

  explicit Impl(ClusterOptions o) : opt(std::move(o)), db(cluster_database, opt.database) {}

  // Brings the replica up to what the leader has committed, so that a client sees its own
  // writes through every vtapd: a read on the leader is answered after the updates of every
  // earlier commit, which the same connection carries first.
  void sync() {
    try {
      db.transact(json::array({{{"op", "select"}, {"table", "VTAP_Global"}, {"where", json::array()},
                                {"columns", {"generation"}}}}),
                  milliseconds(5000));
    } catch (const OvsdbError&) {
      // Unreachable now: serve what the replica has (writes retry on their own).
    }
  }

  std::shared_ptr<const State> current() const {
    auto snapshot = db.snapshot();
    std::lock_guard lock(mu);
    if (cache->version != snapshot->version || snapshot->version == 0) {
      auto s = std::make_shared<State>();
      s->version = snapshot->version;
      s->view = read_cluster(*snapshot, &cache->view);
      s->topology = s->view.nodes_version == cache->view.nodes_version && cache->version != 0
                        ? cache->topology
                        : cluster_topology(s->view);
      cache = std::move(s);
    }
    return cache;
  }

  // Runs `f` on the translator of every row's spec, brought to `s`'s view first. One request
  // at a time: the translator is shared, and requests may hold views older or newer than it.
  template <class F>
  decltype(auto) with_specs(const State& s, F&& f) const {
    std::lock_guard lock(specs_mu);
    if (specs_at != s.version || s.version == 0) {
      specs.follow(s.view, s.topology);
      specs_at = s.version;
    }
    return f(specs);
  }

  const std::vector<std::uint32_t>& inactive(const State& s) const {
    std::call_once(s.inactive_once, [&] {
      with_specs(s, [&](const ClusterTranslator& c) {
        for (const auto& [id, why] : c.failed()) s.inactive.push_back(id);
      });
    });
    return s.inactive;
  }

  const PolicyRow& owned(const State& s, std::uint32_t id, const Caller& caller) const {
    auto it = s.view.policies.find(id);
    if (it == s.view.policies.end() || !it->second.spec || (!caller.admin && it->second.tenant != caller.tenant))
      throw NotFoundError("no policy " + std::to_string(id));
    return it->second;
  }

  // Waits (bounded) until the row of `id` has no step in progress: one change at a time.
  void settle(std::uint32_t id, Clock::time_point deadline) {
    for (;;) {
      auto s = current();
      auto it = s->view.policies.find(id);
      if (it == s->view.policies.end() || it->second.settled()) return;
      if (Clock::now() >= deadline)
        throw UnavailableError("policy " + std::to_string(id) + ": its previous change is still in progress");
      db.wait_until([&](const OvsdbSnapshot& snap) { return snap.version != s->version; }, milliseconds(200));
    }
  }

  // Runs the write `make` computes from the current view until it commits, then waits until
  // the replica shows `done`. `make` throws for invalid writes (not retried).
  void commit(const std::function<json(const State&)>& make, const std::function<bool(const ClusterView&)>& done) {
    const auto deadline = Clock::now() + opt.timeout;
    for (;;) {
      auto s = current();
      if (s->view.global_uuid.empty()) throw UnavailableError("VTAP database " + opt.database + " is not initialised");
      const json ops = make(*s);
      std::string why;
      try {
        db.transact(ops, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) + milliseconds(1));
        why.clear();
      } catch (const OvsdbError& e) {
        why = e.what();
      }
      auto seen = [&](const OvsdbSnapshot& snap) { return done(read_cluster(snap, &s->view)); };
      if (why.empty()) {
        if (!db.wait_until(seen, milliseconds(5000)))
          throw UnavailableError("VTAP database: the change committed but is not visible yet");
        return;
      }
      // A stale view (the newer one is already here: a server sends a connection the updates
      // of earlier commits before later replies), an election or a lost reply. Look again:
      // the write may have landed.
      auto now = db.wait_until([&](const OvsdbSnapshot& snap) { return snap.version != s->version || seen(snap); },
                               milliseconds(300));
      if (now && seen(*now)) return;
      if (Clock::now() >= deadline) throw UnavailableError("VTAP database " + opt.database + ": " + why);
    }
  }

  // Brings unsettled and unannounced to `v`, looking only at the rows changed since the view
  // they were last brought to; returns the ids of rows that went and had been announced.
  std::vector<std::uint32_t> track(const ClusterView& v) {
    std::vector<std::uint32_t> gone;
    for (std::uint32_t id : v.policies.changed_keys(tracked)) {
      auto row = v.policies.find(id);
      const bool settled = row != v.policies.end() && row->second.settled();
      if (row != v.policies.end() && !settled) unsettled.insert(id);
      else unsettled.erase(id);
      if (settled) unannounced.insert(id);
      else unannounced.erase(id);
      if (row == v.policies.end() && announced.erase(id)) gone.push_back(id);
    }
    tracked = v.policies;
    return gone;
  }

  // Moves every acknowledged step on (one transaction for all of them).
  void advance() {
    auto s = current();
    const ClusterView& v = s->view;
    const std::vector<std::uint32_t> gone = track(v);
    json ops = json::array();
    for (std::uint32_t id : unsettled) {
      const PolicyRow& row = v.policies.at(id);
      if (!step_acknowledged(v, row)) continue;
      const json where = json::array({json::array({"_uuid", "==", json::array({"uuid", row.uuid})})});
      if (row.prepare) {
        ops.push_back({{"op", "update"}, {"table", "Policy"}, {"where", where},
                       {"row", {{"phase", "commit"}, {"generation", v.generation + 1}}}});
      } else if (row.spec) {
        Footprint f;
        try {
          f = footprint(s->topology, *row.spec, opt.translator, v.marks);
        } catch (const Error&) {
          // It does not resolve now: it touches nothing and needs no mark.
        }
        json marks = mark_refs(v, f.marks, ops);
        ops.push_back({{"op", "update"}, {"table", "Policy"}, {"where", where},
                       {"row", {{"previous", ""}, {"generation", v.generation + 1},
                                {"nodes", ovsdb_set(json(f.nodes))}, {"marks", marks}}}});
      } else {
        ops.push_back({{"op", "delete"}, {"table", "Policy"}, {"where", where}});
      }
    }
    if (!ops.empty()) try {
        db.transact(guarded(v, std::move(ops)), milliseconds(10000));
      } catch (const OvsdbError&) {
        // Another vtapd moved first, or the leader changed: the next update tells.
      }
    announce(v, gone);
  }

  // Reports the settled rows every node they touch has applied, and the rows that went.
  void announce(const ClusterView& v, const std::vector<std::uint32_t>& gone) {
    std::vector<ServiceEvent> events;
    for (auto it = unannounced.begin(); it != unannounced.end();) {
      const PolicyRow& row = v.policies.at(*it);
      if (!step_acknowledged(v, row)) {
        ++it;
        continue;
      }
      if (announced[row.id] != row.generation)
        events.push_back({ServiceEvent::Kind::applied, "", row.id, row.tenant,
                          "applied on " + std::to_string(row.nodes.size()) + " nodes"});
      announced[row.id] = row.generation;
      it = unannounced.erase(it);
    }
    for (std::uint32_t id : gone) events.push_back({ServiceEvent::Kind::applied, "", id, "", "removed"});
    std::vector<std::function<void(const ServiceEvent&)>> to;
    {
      std::lock_guard lock(mu);
      to = handlers;
    }
    for (const auto& e : events)
      for (const auto& h : to) h(e);
  }

  void run_advancer() {
    std::uint64_t seen = 0;
    while (!stopping) {
      auto snap = db.wait_until([&](const OvsdbSnapshot& s) { return s.version != seen; }, milliseconds(200));
      if (!snap) continue;
      seen = snap->version;
      try {
        advance();
      } catch (const std::exception&) {
        // A row that does not parse is skipped by read_cluster; anything else waits for the next update.
      }
    }
  }
};

ClusterController::ClusterController(ClusterOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->advancer = std::thread([im = impl_.get()] { im->run_advancer(); });
}

ClusterController::~ClusterController() {
  impl_->stopping = true;
  impl_->advancer.join();
}

void ClusterController::connect(milliseconds timeout) {
  if (!impl_->db.wait_until([](const OvsdbSnapshot&) { return true; }, timeout))
    throw UnavailableError("VTAP database " + impl_->opt.database + ": no answer within " +
                           std::to_string(timeout.count()) + " ms");
  if (!impl_->current()->view.global_uuid.empty()) return;
  try {  // Only if it is still empty: a concurrent vtapd may do it first.
    impl_->db.transact(json::array({{{"op", "wait"}, {"table", "VTAP_Global"}, {"where", json::array()},
                                     {"columns", json::array()}, {"until", "=="}, {"rows", json::array()},
                                     {"timeout", 0}},
                                    {{"op", "insert"}, {"table", "VTAP_Global"},
                                     {"row", {{"generation", 0}, {"next_policy_id", 1}}}}}),
                       timeout);
  } catch (const OvsdbError&) {
  }
  if (!impl_->db.wait_until([](const OvsdbSnapshot& s) { return !s.rows("VTAP_Global").empty(); }, timeout))
    throw UnavailableError("VTAP database " + impl_->opt.database + ": cannot initialise VTAP_Global");
}

std::uint32_t ClusterController::add(TapPolicy policy, const Caller& caller) {
  impl_->sync();
  TapPolicy written;
  impl_->commit(
      [&](const State& s) {
        check_access(s.topology, policy, caller);
        TapPolicy p = policy;
        if (p.id == 0) p.id = s.view.next_policy_id;
        else if (p.id >= previous_id_bit) throw PolicyError(p.id, "id", "must be between 1 and " + std::to_string(previous_id_bit - 1) + " in a cluster");
        else if (s.view.policies.contains(p.id)) throw PolicyError(p.id, "id", "is in use");
        written = p;
        const auto streams = impl_->with_specs(s, [&](ClusterTranslator& c) { return c.marks_with(p); });
        const Footprint f = footprint(s.topology, p, impl_->opt.translator, streams);
        json ops = json::array();
        json marks = mark_refs(s.view, f.marks, ops);
        ops.push_back({{"op", "insert"}, {"table", "Policy"},
                       {"row", {{"policy_id", p.id}, {"tenant", p.tenant}, {"spec", json(p).dump()}, {"previous", ""},
                                {"phase", "prepare"}, {"generation", s.view.generation + 1},
                                {"nodes", ovsdb_set(json(f.nodes))}, {"marks", marks}}}});
        return guarded(s.view, std::move(ops), std::max(s.view.next_policy_id, p.id + 1));
      },
      [&](const ClusterView& v) {
        auto it = v.policies.find(written.id);
        return it != v.policies.end() && text(it->second.spec) == json(written).dump();
      });
  return written.id;
}

void ClusterController::modify(TapPolicy policy, const Caller& caller) {
  impl_->sync();
  const auto deadline = Clock::now() + impl_->opt.timeout;
  impl_->settle(policy.id, deadline);
  impl_->commit(
      [&](const State& s) {
        const PolicyRow& row = impl_->owned(s, policy.id, caller);
        if (!row.settled()) throw UnavailableError("policy " + std::to_string(policy.id) + ": a change is in progress");
        check_access(s.topology, policy, caller);
        const auto streams =
            impl_->with_specs(s, [&](ClusterTranslator& c) { return c.marks_with(policy, policy.id); });
        Footprint f = footprint(s.topology, policy, impl_->opt.translator, streams);
        try {
          Footprint old = footprint(s.topology, *row.spec, impl_->opt.translator, s.view.marks);
          f.nodes.insert(old.nodes.begin(), old.nodes.end());
          f.marks.insert(old.marks.begin(), old.marks.end());
        } catch (const Error&) {
          // The old version resolves nowhere now: nothing of it to keep.
        }
        json ops = json::array();
        json marks = mark_refs(s.view, f.marks, ops);
        ops.push_back({{"op", "update"}, {"table", "Policy"}, {"where", where_id(policy.id)},
                       {"row", {{"spec", json(policy).dump()}, {"previous", text(row.spec)}, {"phase", "prepare"},
                                {"generation", s.view.generation + 1}, {"nodes", ovsdb_set(json(f.nodes))},
                                {"marks", marks}}}});
        return guarded(s.view, std::move(ops));
      },
      [&](const ClusterView& v) {
        auto it = v.policies.find(policy.id);
        return it != v.policies.end() && text(it->second.spec) == json(policy).dump();
      });
}

void ClusterController::remove(std::uint32_t id, const Caller& caller) {
  impl_->sync();
  const auto deadline = Clock::now() + impl_->opt.timeout;
  impl_->settle(id, deadline);
  impl_->commit(
      [&](const State& s) {
        const PolicyRow& row = impl_->owned(s, id, caller);
        if (!row.settled()) throw UnavailableError("policy " + std::to_string(id) + ": a change is in progress");
        return guarded(s.view, json::array({{{"op", "update"}, {"table", "Policy"}, {"where", where_id(id)},
                                             {"row", {{"spec", ""}, {"previous", text(row.spec)}, {"phase", "commit"},
                                                      {"generation", s.view.generation + 1}}}}}));
      },
      [&](const ClusterView& v) {
        auto it = v.policies.find(id);
        return it == v.policies.end() || !it->second.spec;
      });
}

std::vector<TapPolicy> ClusterController::list(const Caller& caller) const {
  impl_->sync();
  std::vector<TapPolicy> out;
  for (const auto& [id, row] : impl_->current()->view.policies)
    if (row.spec && (caller.admin || row.tenant == caller.tenant)) out.push_back(*row.spec);
  return out;
}

std::optional<TapPolicy> ClusterController::get(std::uint32_t id, const Caller& caller) const {
  impl_->sync();
  auto s = impl_->current();
  auto it = s->view.policies.find(id);
  if (it == s->view.policies.end() || !it->second.spec || (!caller.admin && it->second.tenant != caller.tenant))
    return std::nullopt;
  return it->second.spec;
}

std::vector<std::uint32_t> ClusterController::inactive() const {
  return impl_->inactive(*impl_->current());
}

// The agents' last published counters (every AgentOptions::stats_interval), for the policies
// that are active now: a policy with no rule on any switch yet counts zero.
std::map<std::uint32_t, PolicyStats> ClusterController::stats() {
  impl_->sync();
  const auto s = impl_->current();
  const std::set<std::uint32_t> inactive(impl_->inactive(*s).begin(), impl_->inactive(*s).end());
  const auto published = cluster_stats(*impl_->db.snapshot());
  std::map<std::uint32_t, PolicyStats> out;
  for (const auto& [id, row] : s->view.policies)
    if (row.spec && !inactive.contains(id)) out[id];
  for (const auto& [id, c] : published) {
    const std::uint32_t policy = id & ~previous_id_bit;  // a node holding the previous version
    if (auto it = out.find(policy); it != out.end()) it->second += c;
  }
  return out;
}

std::vector<SwitchStatus> ClusterController::switches() const {
  std::vector<SwitchStatus> out;
  for (const auto& [name, node] : impl_->current()->view.nodes) {
    std::set<std::string> bridges;
    for (const auto& i : node.facts->interfaces) bridges.insert(i.bridge);
    for (const auto& b : bridges) {
      SwitchStatus st;
      st.name = name + "." + b;
      st.target = "agent " + name;
      st.connected = node.error.empty();
      st.last_error = node.error;
      out.push_back(std::move(st));
    }
  }
  return out;
}

Topology ClusterController::topology() const { return impl_->current()->topology; }

Explanation ClusterController::explain(const Match& packet, const Caller& caller) const {
  auto s = impl_->current();
  auto mine = [&](std::uint32_t id) {
    auto it = s->view.policies.find(id);
    return it != s->view.policies.end() && it->second.tenant == caller.tenant;
  };
  Explanation all =
      impl_->with_specs(*s, [&](const ClusterTranslator& c) { return vtap::explain(*c.translator(), packet); });
  return visible_to(std::move(all), s->topology, mine, caller);
}

void ClusterController::on_event(std::function<void(const ServiceEvent&)> handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handlers.push_back(std::move(handler));
}

void ClusterController::wait_applied(std::uint32_t id, milliseconds timeout) {
  std::string waiting;
  auto applied = [&](const OvsdbSnapshot& snap) {
    const ClusterView v = read_cluster(snap);
    auto it = v.policies.find(id);
    if (it == v.policies.end()) return true;
    waiting = it->second.settled() ? "" : (it->second.prepare ? "prepare" : "commit");
    for (const auto& n : it->second.nodes)
      if (auto node = v.nodes.find(n); node != v.nodes.end() && node->second.applied < it->second.generation)
        waiting += (waiting.empty() ? "" : ", ") + std::string("node ") + n;
    return it->second.settled() && step_acknowledged(v, it->second);
  };
  if (!impl_->db.wait_until(applied, timeout))
    throw UnavailableError("policy " + std::to_string(id) + ": not applied within " + std::to_string(timeout.count()) +
                           " ms (waiting for " + waiting + ")");
}

}  // namespace vtap
