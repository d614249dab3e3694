#include "libvtap/service/service.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "libvtap/translate/transition.hpp"

namespace vtap {

std::string to_string(ServiceEvent::Kind kind) {
  switch (kind) {
    case ServiceEvent::Kind::applied: return "applied";
    case ServiceEvent::Kind::failed: return "failed";
    case ServiceEvent::Kind::switch_connected: return "switch_connected";
    case ServiceEvent::Kind::switch_disconnected: return "switch_disconnected";
    case ServiceEvent::Kind::drift_repaired: return "drift_repaired";
    case ServiceEvent::Kind::policy_inactive: return "policy_inactive";
  }
  return "unknown";
}

namespace {

std::size_t size(const openflow::ChangeSet& c) {
  return c.meters_first.size() + c.bundle.size() + c.meters_last.size();
}

const Host* resolve(const Topology& topo, const Endpoint& e) {
  if (e.mac) return topo.find_host_by_mac(*e.mac);
  if (e.ip) return topo.find_host_by_ip(*e.ip);
  return nullptr;
}

}  // namespace

struct Service::Impl {
  using Kind = ServiceEvent::Kind;
  // One switch: its connection (null while unreachable) and what it holds, as last confirmed.
  struct Peer {
    std::unique_ptr<SwitchConnection> conn;
    SwitchPlan have;
    // Whether `have` holds only what libvtap wrote or checked: after a read, the groups and
    // meters in libvtap's ranges that the plan would change are checked for other users.
    bool verified = false;
    // A switch that could not be reached is tried again only after a back-off (1 s,
    // doubling to 30 s) by changes and stats, so a dead switch does not slow every call;
    // reconcile() always tries.
    std::chrono::steady_clock::time_point retry_after{};
    std::chrono::milliseconds backoff{0};
    bool open() const { return conn && conn->is_open(); }
  };
  bool reconciling = false;

  mutable std::mutex mu;
  Topology topology;
  std::map<std::string, std::string> targets;
  std::shared_ptr<Transport> transport;
  ServiceOptions opt;
  std::map<std::uint32_t, TapPolicy> policies;  // every policy, active or not
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
    events.push_back(ServiceEvent{kind, std::move(sw), id, std::move(detail)});
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

  void check_caller(const TapPolicy& p, const Caller& caller) const {
    if (caller.admin) return;
    if (p.tenant != caller.tenant)
      throw PolicyError(p.id, "tenant", "belongs to tenant \"" + p.tenant + "\", not the caller's \"" + caller.tenant + "\"");
    for (auto [role, e] : {std::pair{"sender", &p.sender}, {"receiver", &p.receiver}, {"monitor", &p.monitor}}) {
      const Host* h = resolve(topology, *e);
      if (h && h->tenant != caller.tenant)
        throw PolicyError(p.id, role, h->name + " belongs to tenant \"" + h->tenant + "\", not the caller's \"" +
                                          caller.tenant + "\"");
    }
  }

  const TapPolicy& owned(std::uint32_t id, const Caller& caller) const {
    auto it = policies.find(id);
    if (it == policies.end() || (!caller.admin && it->second.tenant != caller.tenant))
      throw Error("no policy " + std::to_string(id));
    return it->second;
  }

  // A translator over `topology` holding every policy that resolves there.
  std::unique_ptr<Translator> build(std::set<std::uint32_t>& failed, std::vector<std::pair<std::uint32_t, std::string>>& why) {
    auto t = std::make_unique<Translator>(topology, opt.translator);
    for (const auto& [id, p] : policies) try {
        t->add(p);
      } catch (const PolicyError& e) {
        failed.insert(id);
        why.emplace_back(id, e.what());
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
  }

  // Checks, before anything is sent, that what the walk to `want` changes on switches read
  // since their last check is not another controller's. Throws OwnershipError unless
  // `tolerant`; then the switch is left out of the walk (and reported) instead.
  void verify(std::map<std::string, SwitchPlan>& want, bool tolerant) {
    for (auto it = want.begin(); it != want.end();) {
      Peer& l = peers.at(it->first);
      if (l.verified) {
        ++it;
        continue;
      }
      try {
        l.conn->check_ownership(openflow::diff(l.have, it->second), owned());
        l.verified = true;
        ++it;
      } catch (const OwnershipError& e) {
        if (!tolerant) throw;
        raise(Kind::failed, it->first, std::nullopt, e.what());
        it = want.erase(it);
      }
    }
  }

  void lost(const std::string& name, Peer& l, const TransportError& e) {
    l.conn.reset();
    raise(Kind::switch_disconnected, name, std::nullopt, e.what());
  }

  // Moves every reachable switch (of `only`, when given) to `to`, make-before-break, step by
  // step across switches. Returns the modifications sent to each. A refusal is rethrown
  // unless `tolerant`; unreachable switches are skipped (reconcile() repairs them).
  std::map<std::string, std::size_t> walk(const Plan& to, bool tolerant, const std::set<std::string>* only = nullptr) {
    std::set<std::string> names;
    if (only) {
      names = *only;
    } else {
      for (const auto& [name, t] : targets) names.insert(name);
      for (const auto& [name, sp] : to.switches) names.insert(name);
    }
    std::map<std::string, SwitchPlan> want;  // of every reachable switch
    for (const auto& name : names)
      if (live(name)) {
        auto it = to.switches.find(name);
        want[name] = it == to.switches.end() ? SwitchPlan{} : it->second;
      }
    verify(want, tolerant);
    // The steps order changes across switches. A change confined to one switch goes in one
    // atomic bundle instead: nothing can see it half done, and each extra commit costs the
    // copies time (OVS revalidates cached flows at most once per 5 ms).
    const bool one_switch =
        std::count_if(want.begin(), want.end(), [&](const auto& w) { return peers.at(w.first).have != w.second; }) <= 1;
    std::map<std::string, std::array<SwitchPlan, 3>> steps;
    for (const auto& [name, w] : want)
      steps[name] = one_switch ? std::array{w, w, w} : make_before_break(peers.at(name).have, w);
    std::map<std::string, std::size_t> sent;
    for (std::size_t step = 0; step < 3; ++step)
      for (auto& [name, s] : steps) {
        Peer& l = peers[name];
        if (!l.open()) continue;
        const openflow::ChangeSet change = openflow::diff(l.have, s[step]);
        if (change.empty()) continue;
        try {
          touched.insert(name);
          l.conn->apply(change);
          l.have = s[step];
          sent[name] += size(change);
        } catch (const TransportError& e) {
          if (!l.conn->is_open()) {
            lost(name, l, e);
            continue;
          }
          read(l);  // what of the refused step went in
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
    // Only the switches the translator changed are planned, diffed and sent to: a change
    // costs what it changes, not the whole plan.
    std::set<std::string> changed;
    auto note = [&] { changed.insert(translator->changed_switches().begin(), translator->changed_switches().end()); };
    if (was_active) {
      translator->remove(id);
      note();
    }
    if (next) try {
        translator->add(*next);  // validates; throws PolicyError with nothing changed
        note();
      } catch (...) {
        if (was_active) translator->add(*old);
        throw;
      }
    auto put_back = [&] {
      if (next) translator->remove(id);
      if (was_active) translator->add(*old);
    };
    auto plan_of_changed = [&] {
      Plan p;
      for (const auto& name : changed)
        if (SwitchPlan sp = translator->plan(name); !sp.empty()) p.switches.emplace(name, std::move(sp));
      return p;
    };
    touched.clear();
    try {
      walk(plan_of_changed(), false, &changed);
    } catch (const OwnershipError& e) {
      put_back();  // nothing was sent
      raise(Kind::failed, "", id, e.what());
      throw;
    } catch (const TransportError& e) {
      put_back();
      walk(plan_of_changed(), true, &changed);
      std::string what = "policy " + std::to_string(id) + ": " + e.what();
      for (const auto& name : touched)
        if (!peers[name].open())
          what += "; " + name + " went away before it could be put back and may hold part of this change until it "
                  "reconnects and is reconciled";
      raise(Kind::failed, "", id, what);
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
      put_back();
      walk(plan_of_changed(), true, &changed);
      raise(Kind::failed, "", id, e.what());
      throw;
    }
    raise(Kind::applied, "", id, verb);
  }
};

Service::Service(Topology topology, std::map<std::string, std::string> targets, std::shared_ptr<Transport> transport,
                 ServiceOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->topology = std::move(topology);
  impl_->targets = std::move(targets);
  impl_->transport = std::move(transport);
  impl_->opt = std::move(options);
  if (impl_->opt.store)
    for (auto& p : impl_->opt.store->load()) {
      const std::uint32_t id = p.id;
      if (!impl_->policies.emplace(id, std::move(p)).second)
        throw ParseError("policy store: policy " + std::to_string(id) + " appears twice");
    }
  std::vector<std::pair<std::uint32_t, std::string>> why;
  impl_->translator = impl_->build(impl_->inactive, why);
  for (auto& [id, text] : why) impl_->raise(ServiceEvent::Kind::policy_inactive, "", id, text);
}

Service::~Service() { stop(); }

std::uint32_t Service::add(TapPolicy policy, const Caller& caller) {
  Impl::Call call{*impl_};
  auto& im = *impl_;
  if (!caller.admin && policy.tenant.empty()) policy.tenant = caller.tenant;
  if (policy.id == 0) policy.id = im.policies.empty() ? 1 : im.policies.rbegin()->first + 1;
  else if (im.policies.contains(policy.id)) throw PolicyError(policy.id, "id", "already in use");
  im.check_caller(policy, caller);
  const std::uint32_t id = policy.id;
  im.change(id, std::move(policy), "added");
  return id;
}

void Service::modify(TapPolicy policy, const Caller& caller) {
  Impl::Call call{*impl_};
  auto& im = *impl_;
  im.owned(policy.id, caller);
  if (!caller.admin && policy.tenant.empty()) policy.tenant = caller.tenant;
  im.check_caller(policy, caller);
  const std::uint32_t id = policy.id;
  im.change(id, std::move(policy), "modified");
}

void Service::remove(std::uint32_t id, const Caller& caller) {
  Impl::Call call{*impl_};
  impl_->owned(id, caller);
  impl_->change(id, std::nullopt, "removed");
}

std::vector<TapPolicy> Service::list(const Caller& caller) const {
  std::lock_guard lock(impl_->mu);
  std::vector<TapPolicy> out;
  for (const auto& [id, p] : impl_->policies)
    if (caller.admin || p.tenant == caller.tenant) out.push_back(p);
  return out;
}

std::optional<TapPolicy> Service::get(std::uint32_t id, const Caller& caller) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->policies.find(id);
  if (it == impl_->policies.end() || (!caller.admin && it->second.tenant != caller.tenant)) return std::nullopt;
  return it->second;
}

std::vector<std::uint32_t> Service::inactive() const {
  std::lock_guard lock(impl_->mu);
  return {impl_->inactive.begin(), impl_->inactive.end()};
}

void Service::set_topology(Topology topology, std::map<std::string, std::string> targets) {
  {
    Impl::Call call{*impl_};
    auto& im = *impl_;
    im.topology = std::move(topology);
    for (auto& [name, target] : targets) {
      if (im.targets[name] != target) im.peers.erase(name);
      im.targets[name] = std::move(target);
    }
    std::set<std::uint32_t> failed;
    std::vector<std::pair<std::uint32_t, std::string>> why;
    im.translator = im.build(failed, why);
    for (auto& [id, text] : why)
      if (!im.inactive.contains(id)) im.raise(ServiceEvent::Kind::policy_inactive, "", id, text);
    im.inactive = std::move(failed);
    im.walk(im.translator->plan(), true);
  }
}

std::size_t Service::reconcile() {
  Impl::Call call{*impl_};
  auto& im = *impl_;
  im.reconciling = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{im.reconciling};
  // Re-read what connected switches hold (someone else may have changed our rules);
  // switches that connect now are read by live().
  for (const auto& [name, target] : im.targets) {
    auto& l = im.peers[name];
    if (l.open()) try {
        im.read(l);
      } catch (const TransportError& e) {
        im.lost(name, l, e);
      }
  }
  std::size_t total = 0;
  for (const auto& [name, n] : im.walk(im.translator->plan(), true)) {
    total += n;
    im.raise(ServiceEvent::Kind::drift_repaired, name, std::nullopt,
             std::to_string(n) + (n == 1 ? " modification" : " modifications"));
  }
  return total;
}

void Service::start(std::chrono::milliseconds interval) {
  stop();
  {
    std::lock_guard lock(impl_->watch_mu);
    impl_->stopping = false;
  }
  impl_->watchdog = std::thread([this, interval] {
    std::unique_lock lock(impl_->watch_mu);
    while (!impl_->watch_cv.wait_for(lock, interval, [this] { return impl_->stopping; })) {
      lock.unlock();
      try {
        reconcile();
      } catch (const Error&) {
        // reconcile() reports through events; nothing here may end the watchdog.
      }
      lock.lock();
    }
  });
}

void Service::stop() {
  {
    std::lock_guard lock(impl_->watch_mu);
    impl_->stopping = true;
  }
  impl_->watch_cv.notify_all();
  if (impl_->watchdog.joinable()) impl_->watchdog.join();
}

std::map<std::uint32_t, PolicyStats> Service::stats() {
  std::map<std::uint32_t, PolicyStats> out;
  {
  Impl::Call call{*impl_};
  auto& im = *impl_;
  for (const auto& [id, p] : im.policies)
    if (!im.inactive.contains(id)) out[id];
  for (const auto& [name, target] : im.targets) {
    auto* l = im.live(name);
    if (!l) continue;
    SwitchStats s;
    try {
      s = l->conn->stats();
    } catch (const TransportError& e) {
      im.lost(name, *l, e);
      continue;
    }
    std::map<std::uint32_t, TapRule> rules;
    for (auto& r : im.translator->tap_rules(name)) rules.emplace(r.group_id, std::move(r));
    for (const auto& f : s.flows) {
      if (!is_rewriting_rule(f.rule)) continue;
      for (const Action& a : f.rule.actions)
        if (const auto* g = std::get_if<GroupAction>(&a); g && rules.contains(g->group_id))
          for (std::uint32_t id : rules.at(g->group_id).policies) {
            out[id].packets += f.packet_count;
            out[id].bytes += f.byte_count;
          }
    }
    for (const auto& g : s.groups) {
      auto it = rules.find(g.group_id);
      if (it == rules.end()) continue;
      for (std::size_t b = 1; b < g.buckets.size() && b - 1 < it->second.buckets.size(); ++b)
        for (std::uint32_t id : it->second.buckets[b - 1]) {
          out[id].copies += g.buckets[b].packet_count;
          out[id].copy_bytes += g.buckets[b].byte_count;
        }
    }
  }
  }
  return out;
}

Plan Service::plan() const {
  std::lock_guard lock(impl_->mu);
  return impl_->translator->plan();
}

std::vector<std::string> Service::connected() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [name, l] : impl_->peers)
    if (l.open()) out.push_back(name);
  return out;
}

void Service::on_event(std::function<void(const ServiceEvent&)> handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handlers.push_back(std::move(handler));
}

}  // namespace vtap
