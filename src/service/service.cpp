#include "libvtap/service/service.hpp"

#include "service_impl.hpp"

namespace vtap {

std::string to_string(ServiceEvent::Kind kind) {
  switch (kind) {
    case ServiceEvent::Kind::applied: return "applied";
    case ServiceEvent::Kind::failed: return "failed";
    case ServiceEvent::Kind::switch_connected: return "switch_connected";
    case ServiceEvent::Kind::switch_disconnected: return "switch_disconnected";
    case ServiceEvent::Kind::drift_repaired: return "drift_repaired";
    case ServiceEvent::Kind::policy_inactive: return "policy_inactive";
    case ServiceEvent::Kind::policy_active: return "policy_active";
    case ServiceEvent::Kind::topology_changed: return "topology_changed";
  }
  return "unknown";
}

namespace {

std::string where(const Host& h) { return h.switch_name + " port " + std::to_string(h.port); }

// What set_topology() changes for the event: `vm2 moved from s1 port 2 to s2 port 3; ...`.
std::string describe_changes(const Topology& before, const Topology& after) {
  std::map<std::string, const Host*> was, now;
  for (const auto& h : before.hosts()) was[h.name] = &h;
  for (const auto& h : after.hosts()) now[h.name] = &h;
  std::string out;
  auto add = [&](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
  for (const auto& [name, h] : now) {
    auto it = was.find(name);
    if (it == was.end()) add(name + " added at " + where(*h));
    else if (*it->second != *h) add(name + " moved from " + where(*it->second) + " to " + where(*h));
  }
  for (const auto& [name, h] : was)
    if (!now.contains(name)) add(name + " removed from " + where(*h));
  return out.empty() ? "no VM changed" : out;
}

}  // namespace

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
  if (!impl_->policies.empty()) impl_->last_id = impl_->policies.rbegin()->first;
  std::vector<std::pair<std::uint32_t, std::string>> why;
  impl_->translator = impl_->build(impl_->inactive, why);
  for (auto& [id, text] : why) impl_->raise(ServiceEvent::Kind::policy_inactive, "", id, text);
}

Service::~Service() { stop(); }

std::uint32_t Service::add(TapPolicy policy, const Caller& caller) {
  Impl::Call call{*impl_};
  auto& im = *impl_;
  if (!caller.admin && policy.tenant.empty()) policy.tenant = caller.tenant;
  if (policy.id == 0) {
    if (im.last_id >= 0x7fffffff) throw PolicyError(0, "id", "every policy id has been used");
    policy.id = im.last_id + 1;
  } else if (im.policies.contains(policy.id)) {
    throw PolicyError(policy.id, "id", "already in use");
  }
  im.check_caller(policy, caller);
  const std::uint32_t id = policy.id;
  im.change(id, std::move(policy), "added");
  im.last_id = std::max(im.last_id, id);
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
    im.raise(ServiceEvent::Kind::topology_changed, "", std::nullopt, describe_changes(im.topology, topology));
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
    for (std::uint32_t id : im.inactive)
      if (!failed.contains(id) && im.policies.contains(id))
        im.raise(ServiceEvent::Kind::policy_active, "", id, "resolves again");
    im.inactive = std::move(failed);
    im.walk(im.whole_moves(im.translator->plan()), true);
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
  const auto repaired = im.walk(im.whole_moves(im.translator->plan()), true);
  for (auto& [name, l] : im.peers)
    if (l.open()) {
      ++l.reconciliations;
      l.last_reconciliation = std::chrono::system_clock::now();
    }
  for (const auto& [name, n] : repaired) {
    total += n;
    ++im.peers[name].repairs;
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

}  // namespace vtap
