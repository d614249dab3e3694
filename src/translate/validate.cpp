// A policy checked against the topology and turned into its taps (docs/design.md §4.1, §4.9):
// endpoints resolved to hosts, the rewriting match of each direction, reachability.

#include "translator_state.hpp"

namespace vtap {

const Host* Translator::State::resolve(const TapPolicy& p, const char* field, const Endpoint& e) const {
  if (e.any) throw PolicyError(p.id, field, "'*' is only allowed for the receiver");
  const Host* by_mac = e.mac ? topo.find_host_by_mac(*e.mac) : nullptr;
  const Host* by_ip = e.ip ? topo.find_host_by_ip(*e.ip) : nullptr;
  if (!e.mac && !e.ip) throw PolicyError(p.id, field, "needs a MAC or an IP address");
  if (e.mac && !by_mac) throw PolicyError(p.id, std::string(field) + ".mac", "no host with MAC " + e.mac->to_string());
  if (e.ip && !by_ip) throw PolicyError(p.id, std::string(field) + ".ip", "no host with IP " + e.ip->to_string());
  if (by_mac && by_ip && by_mac != by_ip)
    throw PolicyError(p.id, std::string(field) + ".ip",
                      e.ip->to_string() + " belongs to " + by_ip->name + ", not to " + host_text(*by_mac));
  return by_mac ? by_mac : by_ip;
}

void Translator::State::add_endpoint(Match& m, const Endpoint& e, bool source) {
  if (e.mac) m.set(source ? Field::eth_src : Field::eth_dst, *e.mac);
  if (!e.ip) return;
  if (e.ip->is_v4()) {
    if (auto t = m.exact_uint(Field::eth_type); t && *t != 0x0800) throw Error("IPv4 and IPv6 endpoints mixed");
    m.set(Field::eth_type, 0x0800);
    m.set(source ? Field::ipv4_src : Field::ipv4_dst, e.ip->v4());
  } else {
    if (auto t = m.exact_uint(Field::eth_type); t && *t != 0x86dd) throw Error("IPv4 and IPv6 endpoints mixed");
    m.set(Field::eth_type, 0x86dd);
    m.set(source ? Field::ipv6_src : Field::ipv6_dst, e.ip->v6());
  }
}

Match Translator::State::tap_match(const TapPolicy& p, const Host& sender_host, bool reverse) const {
  const Endpoint& from = reverse ? p.receiver : p.sender;
  const Endpoint& to = reverse ? p.sender : p.receiver;
  Match m;
  m.set(Field::in_port, sender_host.port);
  try {
    add_endpoint(m, from, true);
    if (!to.any) add_endpoint(m, to, false);
  } catch (const Error&) {
    throw PolicyError(p.id, "receiver.ip", "sender and receiver IP addresses are of different families");
  }
  const Match filter = reverse ? reversed(p.filter) : p.filter;
  auto combined = m.intersect(filter);
  if (!combined)
    throw PolicyError(p.id, "filter",
                      "\"" + p.filter.to_string() + "\" contradicts the endpoints (" + m.to_string() +
                          "): no packet can match both");
  return *combined;
}

std::vector<Tap> Translator::State::validate(const TapPolicy& p) {
  if (p.id == 0 || p.id > 0x7fffffff) throw PolicyError(p.id, "id", "must be between 1 and 2147483647");
  if (policies.contains(p.id)) throw PolicyError(p.id, "id", "duplicate policy id");
  try {
    p.filter.check_prerequisites();
  } catch (const Error& e) {
    throw PolicyError(p.id, "filter", e.what());
  }
  const Host* sender = resolve(p, "sender", p.sender);
  const Host* receiver = p.receiver.any ? nullptr : resolve(p, "receiver", p.receiver);
  if (receiver == sender) throw PolicyError(p.id, "receiver", "is the sender " + host_text(*sender));
  const Host* monitor = nullptr;
  if (p.delivery == Delivery::marked) {
    monitor = resolve(p, "monitor", p.monitor);
    if (monitor == sender) throw PolicyError(p.id, "monitor", "is the sender " + host_text(*sender));
    if (monitor == receiver) throw PolicyError(p.id, "monitor", "is the receiver " + host_text(*receiver));
  } else if (!p.tunnel) {
    throw PolicyError(p.id, "tunnel", "delivery \"tunnel\" needs a tunnel target (remote_ip, key)");
  }
  if (p.truncate && *p.truncate < 14) throw PolicyError(p.id, "truncate", "must be at least 14 bytes (an Ethernet header)");
  if (p.rate_limit && p.rate_limit->rate == 0) throw PolicyError(p.id, "rate_limit", "rate must be positive");
  if (p.direction == Direction::both && !receiver)
    throw PolicyError(p.id, "direction", "\"both\" needs a concrete receiver, not '*'");
  if (!receiver && opt.forwarding == Forwarding::path)
    throw PolicyError(p.id, "receiver",
                      "'*' cannot be forwarded along a path: use forwarding \"normal\" or \"resubmit\"");

  std::vector<Tap> out;
  for (bool reverse : {false, true}) {
    if (reverse && p.direction != Direction::both) break;
    Tap t;
    t.key = tap_key(p.id, reverse);
    t.sender = reverse ? receiver : sender;
    t.receiver = reverse ? sender : receiver;
    t.monitor = monitor;
    t.match = tap_match(p, *t.sender, reverse);
    const std::string& sw = t.sender->switch_name;
    if (t.receiver && opt.forwarding == Forwarding::path && !port_toward(sw, *t.receiver))
      throw PolicyError(p.id, reverse ? "sender" : "receiver",
                        host_text(*t.receiver) + " on " + t.receiver->switch_name + " is not reachable from " + sw);
    if (monitor && !port_toward(sw, *monitor))
      throw PolicyError(p.id, "monitor",
                        host_text(*monitor) + " on " + monitor->switch_name + " is not reachable from " + sw);
    if (p.delivery == Delivery::tunnel && !topo.find_switch(sw)->tunnel_port_of(p.tunnel->type))
      throw PolicyError(p.id, "delivery", "switch " + sw + " has no " +
                                              (p.tunnel->type.empty() ? "tunnel_port" : p.tunnel->type + " port in tunnel_ports") +
                                              " for tunnel delivery");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace vtap
