// Who may see and change what (controller.hpp): shared by Service and ClusterController.

#include <algorithm>

#include "libvtap/model/error.hpp"
#include "libvtap/service/controller.hpp"

namespace vtap {

namespace {
const Host* resolve(const Topology& topo, const Endpoint& e) {
  if (e.mac) return topo.find_host_by_mac(*e.mac);
  if (e.ip) return topo.find_host_by_ip(*e.ip);
  return nullptr;
}
}  // namespace

void check_access(const Topology& topology, const TapPolicy& p, const Caller& caller) {
  if (caller.admin) return;
  if (p.tenant != caller.tenant)
    throw AccessError(p.id, "tenant", "belongs to tenant \"" + p.tenant + "\", not the caller's \"" + caller.tenant + "\"");
  for (auto [role, e] : {std::pair{"sender", &p.sender}, {"receiver", &p.receiver}, {"monitor", &p.monitor}}) {
    const Host* h = resolve(topology, *e);
    if (h && h->tenant != caller.tenant)
      throw AccessError(p.id, role, h->name + " belongs to tenant \"" + h->tenant + "\", not the caller's \"" +
                                        caller.tenant + "\"");
  }
}

Explanation visible_to(Explanation ex, const Topology& topology, const std::function<bool(std::uint32_t)>& mine,
                       const Caller& caller) {
  if (caller.admin) return ex;
  for (const auto& h : topology.hosts())
    if (h.name == ex.sender && h.tenant != caller.tenant)
      throw AccessError(0, "packet", "its sender " + h.name + " belongs to tenant \"" + h.tenant +
                                         "\", not the caller's \"" + caller.tenant + "\"");
  // Told from the caller's policies only: another tenant's policies and monitors stay unseen.
  std::erase_if(ex.verdicts, [&](const Verdict& v) { return !mine(v.policy_id); });
  for (auto& c : ex.copies) std::erase_if(c.policy_ids, [&](std::uint32_t id) { return !mine(id); });
  std::erase_if(ex.copies, [](const CopyTarget& c) { return c.policy_ids.empty(); });
  std::erase_if(ex.delivered, [&](const std::string& d) {
    return std::none_of(ex.copies.begin(), ex.copies.end(),
                        [&](const CopyTarget& c) { return d.find(c.target) != std::string::npos; });
  });
  return ex;
}

}  // namespace vtap
