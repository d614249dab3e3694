#include "libvtap/translate/explain.hpp"

#include <algorithm>
#include <map>

#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

std::string entry_text(const Match::Entry& e) {
  Match single;
  single.set(e.field, e.value, e.mask);
  return single.to_string();
}

// Why `packet` is not inside `m`: the first field it lacks or contradicts.
std::string mismatch(const Match& packet, const Match& m) {
  for (const auto& need : m.entries()) {
    const auto have = packet.find(need.field);
    if (!have) return "needs " + entry_text(need) + ", packet does not say " + std::string(field_info(need.field).name);
    Match single;
    single.set(have->field, have->value, have->mask);
    Match wanted;
    wanted.set(need.field, need.value, need.mask);
    if (!single.is_subset_of(wanted)) return "needs " + entry_text(need) + ", packet has " + entry_text(*have);
  }
  return "";
}

// The host an endpoint of an installed (hence validated) policy names.
const Host* host_of(const Topology& topo, const Endpoint& e) {
  return e.mac ? topo.find_host_by_mac(*e.mac) : topo.find_host_by_ip(*e.ip);
}

const Host* sender_of(const Topology& topo, const Match& packet) {
  if (auto mac = packet.exact_mac(Field::eth_src)) {
    if (const Host* h = topo.find_host_by_mac(*mac)) return h;
    throw Error("packet: no host with dl_src " + mac->to_string());
  }
  for (Field f : {Field::ipv4_src, Field::ipv6_src}) {
    if (!packet.is_exact(f)) continue;
    const auto e = packet.find(f);
    IpAddress ip;
    if (f == Field::ipv4_src) {
      ip = Ipv4Address((std::uint32_t{e->value[0]} << 24) | (std::uint32_t{e->value[1]} << 16) |
                       (std::uint32_t{e->value[2]} << 8) | e->value[3]);
    } else {
      Ipv6Address::Bytes b{};
      std::copy_n(e->value.begin(), b.size(), b.begin());
      ip = Ipv6Address(b);
    }
    if (const Host* h = topo.find_host_by_ip(ip)) return h;
    throw Error("packet: no host with " + std::string(field_info(f).name) + " " + ip.to_string());
  }
  throw Error("packet: name the sender with dl_src, nw_src or ipv6_src");
}

}  // namespace

Explanation explain(const Translator& translator, const Match& packet_in) {
  const Topology& topo = translator.topology();
  Explanation out;
  const Host* sender = sender_of(topo, packet_in);
  out.sender = sender->name;
  out.packet = packet_in;
  if (!out.packet.has(Field::in_port)) out.packet.set(Field::in_port, sender->port);

  std::map<std::string, std::vector<std::uint32_t>> targets;
  for (const TapPolicy* p : translator.policies()) {
    for (bool reverse : {false, true}) {
      if (reverse && p->direction != Direction::both) break;
      Verdict v{p->id, reverse, false, ""};
      const Match m = translator.tap_match(*p, reverse);
      const Host* tap_sender = host_of(topo, reverse ? p->receiver : p->sender);
      if (tap_sender != sender) {
        v.reason = "its sender is " + tap_sender->name + ", the packet comes from " + sender->name;
      } else if (out.packet.is_subset_of(m)) {
        v.matches = true;
        const std::string target = p->delivery == Delivery::tunnel
                                       ? "tunnel " + p->tunnel->remote_ip.to_string() + " key " + std::to_string(p->tunnel->key)
                                       : host_of(topo, p->monitor)->name;
        auto& ids = targets[target];
        if (ids.empty() || ids.back() != p->id) ids.push_back(p->id);
      } else {
        v.reason = mismatch(out.packet, m);
      }
      out.verdicts.push_back(std::move(v));
    }
  }
  for (auto& [target, ids] : targets) out.copies.push_back(CopyTarget{target, std::move(ids)});
  out.delivered = simulate(topo, translator.plan(), *sender, out.packet, translator.options().table);
  return out;
}

std::string Explanation::to_string() const {
  std::string s = "packet " + packet.to_string() + " from " + sender + "\n";
  for (const auto& v : verdicts) {
    s += "policy " + std::to_string(v.policy_id) + (v.reverse ? " (reverse)" : "") + ": ";
    s += v.matches ? "matches\n" : "no match: " + v.reason + "\n";
  }
  if (copies.empty()) s += "no monitor gets a copy\n";
  for (const auto& c : copies) {
    s += c.target + " gets 1 copy (polic";
    s += c.policy_ids.size() > 1 ? "ies" : "y";
    for (std::size_t i = 0; i < c.policy_ids.size(); ++i) s += (i ? ", " : " ") + std::to_string(c.policy_ids[i]);
    s += ")\n";
  }
  std::vector<std::string> expected;
  for (const auto& c : copies) expected.push_back(c.target);
  std::vector<std::string> got = delivered;
  std::sort(got.begin(), got.end());
  if (got != expected) {
    s += "WARNING: the compiled rules deliver copies to:";
    for (const auto& d : got) s += " " + d;
    s += "\n";
  }
  return s;
}

}  // namespace vtap
