#pragma once
// Service's state and the steps its public calls are made of (service.cpp: changes and
// reconciliation; service_queries.cpp: counters and status). Private to src/service/.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "libvtap/service/service.hpp"
#include "libvtap/translate/transition.hpp"

namespace vtap {

struct Service::Impl {
  using Kind = ServiceEvent::Kind;
  // One switch: its connection (null while unreachable) and what it holds, as last confirmed.
  struct Peer {
    std::unique_ptr<SwitchConnection> conn;
    SwitchPlan have;
    // Whether `have` holds only what libvtap wrote or checked: after a read, the groups and
    // meters in libvtap's ranges that the plan would change are checked for other users.
    bool verified = false;
    // Whether changes sent since `have` was read or written left it behind the switch.
    bool stale = false;
    // A switch that could not be reached is tried again only after a back-off (1 s,
    // doubling to 30 s) by changes and stats, so a dead switch does not slow every call;
    // reconcile() always tries.
    std::chrono::steady_clock::time_point retry_after{};
    std::chrono::milliseconds backoff{0};
    std::uint64_t reconciliations = 0, repairs = 0;
    std::optional<std::chrono::system_clock::time_point> last_reconciliation;
    std::string last_error;
    bool open() const { return conn && conn->is_open(); }
  };
  bool reconciling = false;

  mutable std::mutex mu;
  Topology topology;
  std::map<std::string, std::string> targets;
  std::shared_ptr<Transport> transport;
  ServiceOptions opt;
  std::map<std::uint32_t, TapPolicy> policies;  // every policy, active or not
  std::uint32_t last_id = 0;  // the highest id ever used: a removed policy's id is not handed out again
  std::set<std::uint32_t> inactive;
  std::unique_ptr<Translator> translator;
  std::map<std::string, Peer> peers;
  std::vector<std::function<void(const ServiceEvent&)>> handlers;
  std::vector<ServiceEvent> events;  // raised under the lock, delivered after it
  std::set<std::string> touched;     // switches the current change has sent something to

  // Holds the lock for one public call; delivers its events once the lock is released,
  // also when the call throws.
  struct Call {
    Impl& im;
    struct Deliver {
      Impl& im;
      ~Deliver() { im.deliver(); }
    } deliver{im};
    std::unique_lock<std::mutex> lock{im.mu};
  };

  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool stopping = false;
  std::thread watchdog;

  void raise(Kind kind, std::string sw, std::optional<std::uint32_t> id, std::string detail) {
    if (!sw.empty() && (kind == Kind::failed || kind == Kind::switch_disconnected)) peers[sw].last_error = detail;
    std::string tenant;
    if (id)
      if (auto it = policies.find(*id); it != policies.end()) tenant = it->second.tenant;
    events.push_back(ServiceEvent{kind, std::move(sw), id, std::move(tenant), std::move(detail)});
  }

  // Delivers the events raised so far; call without holding `mu`.
  void deliver() {
    std::vector<ServiceEvent> out;
    std::vector<std::function<void(const ServiceEvent&)>> to;
    {
      std::lock_guard lock(mu);
      out.swap(events);
      to = handlers;
    }
    for (const auto& e : out)
      for (const auto& h : to) h(e);
  }

  void check_caller(const TapPolicy& p, const Caller& caller) const { check_access(topology, p, caller); }

  const TapPolicy& owned(std::uint32_t id, const Caller& caller) const {
    auto it = policies.find(id);
    if (it == policies.end() || (!caller.admin && it->second.tenant != caller.tenant))
      throw NotFoundError("no policy " + std::to_string(id));
    return it->second;
  }

  // A translator over `topology` holding every policy that resolves there.
  std::unique_ptr<Translator> build(std::set<std::uint32_t>& failed, std::vector<std::pair<std::uint32_t, std::string>>& why) {
    auto t = std::make_unique<Translator>(topology, opt.translator);
    for (const auto& [id, p] : policies) try {
        t->add(p);
      } catch (const PolicyError& e) {
        failed.insert(id);
        std::string text = e.what();  // "policy N: field: ...": the event names the policy already
        const std::string prefix = "policy " + std::to_string(id) + ": ";
        if (text.starts_with(prefix)) text.erase(0, prefix.size());
        why.emplace_back(id, std::move(text));
      }
    return t;
  }

  Peer* live(const std::string& name) {
    Peer& l = peers[name];
    if (l.open()) return &l;
    const bool was_connected = l.conn != nullptr;
    l.conn.reset();
    if (was_connected) raise(Kind::switch_disconnected, name, std::nullopt, "connection lost");
    auto target = targets.find(name);
    if (target == targets.end()) return nullptr;
    const auto now = std::chrono::steady_clock::now();
    if (!reconciling && now < l.retry_after) return nullptr;
    try {
      l.conn = transport->connect(target->second, opt.session);
      read(l);
    } catch (const Error& e) {
      // Unreachable is routine (it is retried quietly); a switch that answers but whose
      // state cannot be read is reported.
      if (l.conn) raise(Kind::failed, name, std::nullopt, std::string("cannot read the switch: ") + e.what());
      l.conn.reset();
      l.backoff = std::clamp(l.backoff * 2, std::chrono::milliseconds(1000), std::chrono::milliseconds(30000));
      l.retry_after = now + l.backoff;
      return nullptr;
    }
    l.backoff = std::chrono::milliseconds(0);
    raise(Kind::switch_connected, name, std::nullopt,
          target->second + ", " + std::string(openflow::to_string(l.conn->version())));
    return &l;
  }

  Ownership owned() const { return ownership(opt.translator); }

  void read(Peer& l) {
    l.have = l.conn->read_state(owned());
    l.verified = false;
    l.stale = false;
  }

  // One switch's way from `from` to `to`. A whole move starts from all the switch holds and
  // keeps the peer's `have` current; a partial one starts from what a change replaces (a
  // SwitchDelta's `before`) and leaves `have` stale, to be read again before a whole move.
  struct Move {
    SwitchPlan from, to;
    bool whole = true;
    bool stopped = false;  // a partial move that failed: what the switch holds is unknown
  };
  using Moves = std::map<std::string, Move>;

  // Whole moves of every reachable switch to `to`: every switch with a target or a plan.
  Moves whole_moves(const Plan& to) {
    std::set<std::string> names;
    for (const auto& [name, t] : targets) names.insert(name);
    for (const auto& [name, sp] : to.switches) names.insert(name);
    Moves moves;
    for (const auto& name : names) {
      Peer* l = live(name);
      if (!l) continue;
      if (l->stale) try {
          read(*l);
        } catch (const TransportError& e) {
          lost(name, *l, e);
          continue;
        }
      auto it = to.switches.find(name);
      moves[name] = Move{l->have, it == to.switches.end() ? SwitchPlan{} : it->second};
    }
    return moves;
  }

  // The moves that make a change: a reachable switch whose state is verified gets only the
  // change's delta (a change costs what it changes); one read since (on connecting, or after
  // a refusal) gets its whole plan, which verify() checks for other controllers' ids.
  Moves delta_moves(const PlanDelta& delta) {
    Moves moves;
    for (const auto& [name, d] : delta) {
      Peer* l = live(name);
      if (!l) continue;
      if (l->verified) moves[name] = Move{d.before, d.after, false};
      else moves[name] = Move{l->have, translator->plan(name)};
    }
    return moves;
  }

  // Checks, before anything is sent, that what the moves change on switches read since
  // their last check is not another controller's. Throws OwnershipError unless `tolerant`;
  // then the switch is left out (and reported) instead.
  void verify(Moves& moves, bool tolerant) {
    for (auto it = moves.begin(); it != moves.end();) {
      Peer& l = peers.at(it->first);
      if (l.verified) {
        ++it;
        continue;
      }
      try {
        l.conn->check_ownership(openflow::diff(it->second.from, it->second.to), owned());
        l.verified = true;
        ++it;
      } catch (const OwnershipError& e) {
        if (!tolerant) throw;
        raise(Kind::failed, it->first, std::nullopt, e.what());
        it = moves.erase(it);
      }
    }
  }

  void lost(const std::string& name, Peer& l, const TransportError& e) {
    l.conn.reset();
    raise(Kind::switch_disconnected, name, std::nullopt, e.what());
  }

  // Makes the moves, make-before-break, step by step across switches. Returns the
  // modifications sent to each. A refusal is rethrown unless `tolerant`; unreachable
  // switches are skipped (reconcile() repairs them).
  std::map<std::string, std::size_t> walk(Moves moves, bool tolerant) {
    verify(moves, tolerant);
    // The steps order changes across switches. A change confined to one switch goes in one
    // atomic bundle instead: nothing can see it half done, and each extra commit costs the
    // copies time (OVS revalidates cached flows at most once per 5 ms).
    const bool one_switch = std::count_if(moves.begin(), moves.end(), [](const auto& m) {
                              return m.second.from != m.second.to;
                            }) <= 1;
    std::map<std::string, std::array<SwitchPlan, 3>> steps;
    for (const auto& [name, m] : moves)
      steps[name] = one_switch ? std::array{m.to, m.to, m.to} : make_before_break(m.from, m.to);
    std::map<std::string, std::size_t> sent;
    for (std::size_t step = 0; step < 3; ++step)
      for (auto& [name, s] : steps) {
        Peer& l = peers[name];
        Move& m = moves.at(name);
        if (!l.open() || m.stopped) continue;
        const openflow::ChangeSet change = openflow::diff(m.from, s[step]);
        if (change.empty()) continue;
        try {
          touched.insert(name);
          l.conn->apply(change);
          m.from = s[step];
          if (m.whole) l.have = m.from;
          else l.stale = true;
          sent[name] += change.messages();
        } catch (const TransportError& e) {
          if (!l.conn->is_open()) {
            lost(name, l, e);
            continue;
          }
          read(l);  // what of the refused step went in
          if (m.whole) m.from = l.have;
          else m.stopped = true;
          if (!tolerant) throw;
          raise(Kind::failed, name, std::nullopt, e.what());
        }
      }
    return sent;
  }

  // Replaces policy `id` (absent: none) by `next` (nullopt: removes it) in the translator,
  // on the switches and in the store, all or nothing: a switch that refuses, or a store
  // that cannot be written, leaves the translator, the switches and the store as they were.
  void change(std::uint32_t id, std::optional<TapPolicy> next, const char* verb) {
    const auto found = policies.find(id);
    const std::optional<TapPolicy> old = found == policies.end() ? std::nullopt : std::optional(found->second);
    const bool was_active = old && !inactive.contains(id);
    const std::string tenant = next ? next->tenant : old ? old->tenant : "";
    auto report = [&](Kind kind, std::string detail) {
      raise(kind, "", id, std::move(detail));
      events.back().tenant = tenant;
    };
    // Only what the translator changed is sent: a change costs what it changes.
    translator->begin_changes();
    if (was_active) translator->remove(id);
    if (next) try {
        translator->add(*next);  // validates; throws PolicyError with nothing changed
      } catch (...) {
        if (was_active) translator->add(*old);
        walk(delta_moves(translator->take_changes()), true);  // empty unless group ids moved
        throw;
      }
    const PlanDelta delta = translator->take_changes();
    auto put_back = [&] {
      translator->begin_changes();
      if (next) translator->remove(id);
      if (was_active) translator->add(*old);
      return translator->take_changes();
    };
    touched.clear();
    try {
      walk(delta_moves(delta), false);
    } catch (const OwnershipError& e) {
      put_back();  // nothing was sent
      report(Kind::failed, e.what());
      throw;
    } catch (const TransportError& e) {
      walk(delta_moves(put_back()), true);
      std::string what = "policy " + std::to_string(id) + ": " + e.what();
      for (const auto& name : touched)
        if (!peers[name].open())
          what += "; " + name + " went away before it could be put back and may hold part of this change until it "
                  "reconnects and is reconciled";
      report(Kind::failed, what);
      throw TransportError(e.code(), what, e.failed_index(), e.switch_error());
    }
    auto record = [&](const std::optional<TapPolicy>& p, bool active) {
      if (p) policies[id] = *p;
      else policies.erase(id);
      if (active || !p) inactive.erase(id);
      else inactive.insert(id);
    };
    record(next, true);
    try {
      if (opt.store) opt.store->record(id, next ? &*next : nullptr);
    } catch (const Error& e) {
      record(old, was_active);
      walk(delta_moves(put_back()), true);
      report(Kind::failed, e.what());
      throw;
    }
    report(Kind::applied, verb);
  }
};

}  // namespace vtap
