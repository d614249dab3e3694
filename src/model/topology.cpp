#include "libvtap/model/topology.hpp"

#include <deque>

#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

std::string port_text(const PortRef& p) { return p.switch_name + ":" + std::to_string(p.port); }

}  // namespace

void Topology::add_switch(Switch s) {
  if (s.name.empty()) throw TopologyError("switch: empty name");
  if (switch_index_.contains(s.name)) throw TopologyError("switch " + s.name + ": duplicate name");
  for (const auto& other : switches_)
    if (other.dpid == s.dpid)
      throw TopologyError("switch " + s.name + ": dpid " + std::to_string(s.dpid) + " already used by " + other.name);
  if (s.tunnel_port) port_owner_.emplace(PortRef{s.name, *s.tunnel_port}, switches_.size());
  for (const auto& [type, port] : s.tunnel_ports) port_owner_.emplace(PortRef{s.name, port}, switches_.size());
  switch_index_.emplace(s.name, switches_.size());
  switches_.push_back(std::move(s));
}

void Topology::add_host(Host h) {
  const std::string what = "host " + (h.name.empty() ? h.mac.to_string() : h.name);
  if (h.name.empty()) throw TopologyError(what + ": empty name");
  if (host_index_.contains(h.name)) throw TopologyError(what + ": duplicate name");
  if (!switch_index_.contains(h.switch_name)) throw TopologyError(what + ": unknown switch \"" + h.switch_name + "\"");
  if (h.port == 0 || h.port >= 0xffffff00) throw TopologyError(what + ": invalid port " + std::to_string(h.port));
  if (h.mac.is_multicast()) throw TopologyError(what + ": " + h.mac.to_string() + " is a multicast MAC");
  if (mac_index_.contains(h.mac)) throw TopologyError(what + ": MAC " + h.mac.to_string() + " already used by " + hosts_[mac_index_.at(h.mac)].name);
  if (h.ip && ip_index_.contains(*h.ip)) throw TopologyError(what + ": IP " + h.ip->to_string() + " already used by " + hosts_[ip_index_.at(*h.ip)].name);
  if (h.ipv6 && ip_index_.contains(*h.ipv6)) throw TopologyError(what + ": IPv6 " + h.ipv6->to_string() + " already used by " + hosts_[ip_index_.at(*h.ipv6)].name);
  const PortRef ref{h.switch_name, h.port};
  if (port_owner_.contains(ref)) throw TopologyError(what + ": port " + port_text(ref) + " is already in use");
  const std::size_t index = hosts_.size();
  port_owner_.emplace(ref, index);
  host_index_.emplace(h.name, index);
  mac_index_.emplace(h.mac, index);
  if (h.ip) ip_index_.emplace(*h.ip, index);
  if (h.ipv6) ip_index_.emplace(*h.ipv6, index);
  hosts_.push_back(std::move(h));
}

void Topology::add_link(Link l) {
  for (const PortRef* end : {&l.a, &l.b}) {
    const std::string what = "link " + port_text(l.a) + " - " + port_text(l.b);
    if (!switch_index_.contains(end->switch_name)) throw TopologyError(what + ": unknown switch \"" + end->switch_name + "\"");
    if (end->port == 0 || end->port >= 0xffffff00) throw TopologyError(what + ": invalid port " + std::to_string(end->port));
    if (port_owner_.contains(*end)) throw TopologyError(what + ": port " + port_text(*end) + " is already in use");
  }
  if (l.a == l.b) throw TopologyError("link " + port_text(l.a) + ": both ends are the same port");
  port_owner_.emplace(l.a, links_.size());
  port_owner_.emplace(l.b, links_.size());
  links_.push_back(std::move(l));
}

const Switch* Topology::find_switch(const std::string& name) const noexcept {
  auto it = switch_index_.find(name);
  return it == switch_index_.end() ? nullptr : &switches_[it->second];
}
const Host* Topology::find_host(const std::string& name) const noexcept {
  auto it = host_index_.find(name);
  return it == host_index_.end() ? nullptr : &hosts_[it->second];
}
const Host* Topology::find_host_by_mac(const MacAddress& mac) const noexcept {
  auto it = mac_index_.find(mac);
  return it == mac_index_.end() ? nullptr : &hosts_[it->second];
}
const Host* Topology::find_host_by_ip(const IpAddress& ip) const noexcept {
  auto it = ip_index_.find(ip);
  return it == ip_index_.end() ? nullptr : &hosts_[it->second];
}

std::map<std::string, std::uint32_t> Topology::next_hops(const std::string& to_switch) const {
  std::map<std::string, std::uint32_t> next;
  std::map<std::string, bool> seen{{to_switch, true}};
  std::deque<std::string> frontier{to_switch};
  while (!frontier.empty()) {
    const std::string here = frontier.front();
    frontier.pop_front();
    // Every neighbour not yet reached gets to `to_switch` through `here`, by its
    // lowest-numbered port toward `here`.
    std::map<std::string, std::uint32_t> best;  // neighbour -> its port toward `here`
    for (const auto& l : links_) {
      if (l.a.switch_name == here && !seen[l.b.switch_name]) {
        auto [it, inserted] = best.emplace(l.b.switch_name, l.b.port);
        if (!inserted && l.b.port < it->second) it->second = l.b.port;
      }
      if (l.b.switch_name == here && !seen[l.a.switch_name]) {
        auto [it, inserted] = best.emplace(l.a.switch_name, l.a.port);
        if (!inserted && l.a.port < it->second) it->second = l.a.port;
      }
    }
    for (const auto& [neighbour, port] : best) {
      seen[neighbour] = true;
      next.emplace(neighbour, port);
      frontier.push_back(neighbour);
    }
  }
  return next;
}

std::vector<Hop> Topology::path(const std::string& from_switch, std::uint32_t from_port, const Host& to) const {
  if (from_switch == to.switch_name) return {Hop{from_switch, from_port, to.port}};
  const auto next = next_hops(to.switch_name);
  // Peer of every link port, to know where a packet arrives after leaving by a port.
  std::map<PortRef, PortRef> peer;
  for (const auto& l : links_) {
    peer.emplace(l.a, l.b);
    peer.emplace(l.b, l.a);
  }
  std::vector<Hop> hops;
  std::string here = from_switch;
  std::uint32_t in_port = from_port;
  while (here != to.switch_name) {
    auto it = next.find(here);
    if (it == next.end() || hops.size() > switches_.size()) return {};
    hops.push_back(Hop{here, in_port, it->second});
    const PortRef& arrival = peer.at(PortRef{here, it->second});
    here = arrival.switch_name;
    in_port = arrival.port;
  }
  hops.push_back(Hop{here, in_port, to.port});
  return hops;
}

}  // namespace vtap
