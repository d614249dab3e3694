#include "service_impl.hpp"

namespace vtap {

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
    add_switch_stats(out, s, im.translator->tap_rules(name));
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

std::vector<SwitchStatus> Service::switches() const {
  std::lock_guard lock(impl_->mu);
  std::vector<SwitchStatus> out;
  for (const auto& [name, target] : impl_->targets) {
    SwitchStatus s;
    s.name = name;
    s.target = target;
    if (auto it = impl_->peers.find(name); it != impl_->peers.end()) {
      const auto& l = it->second;
      s.connected = l.open();
      if (s.connected) s.version = openflow::to_string(l.conn->version());
      s.reconciliations = l.reconciliations;
      s.repairs = l.repairs;
      s.last_reconciliation = l.last_reconciliation;
      s.last_error = l.last_error;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Topology Service::topology() const {
  std::lock_guard lock(impl_->mu);
  return impl_->topology;
}

Explanation Service::explain(const Match& packet, const Caller& caller) const {
  std::lock_guard lock(impl_->mu);
  auto mine = [&](std::uint32_t id) {
    auto it = impl_->policies.find(id);
    return it != impl_->policies.end() && it->second.tenant == caller.tenant;
  };
  return visible_to(vtap::explain(*impl_->translator, packet), impl_->topology, mine, caller);
}

void Service::on_event(std::function<void(const ServiceEvent&)> handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handlers.push_back(std::move(handler));
}

}  // namespace vtap
