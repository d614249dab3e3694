#pragma once
// Plans of every rule kind the translator produces, for the transport tests: the paper's
// Fig. 4 policies (examples/fig4/), a remote monitor with transit, paper mode
// (destination rewrite and recovery), truncation and a rate limit (meters, copy table),
// tunnel delivery, both directions, IPv6, composition of overlapping policies, a `*`
// receiver with NORMAL forwarding, and resubmit forwarding into another table.

#include <string>
#include <utility>
#include <vector>

#include "libvtap/model/json.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap::testing {

inline MacAddress corpus_mac(int n) { return MacAddress({0xfa, 0, 0, 0, 0, static_cast<std::uint8_t>(n)}); }
inline Ipv4Address corpus_ip(int n) { return Ipv4Address(0x0a010100U + static_cast<std::uint32_t>(n)); }

// Switches s1 - s2 - ... joined by links (port 10 toward the next, 11 toward the previous),
// hosts vmN on the given switches at port N.
inline Topology corpus_line(int switches, const std::vector<std::pair<int, int>>& hosts) {
  Topology t;
  for (int s = 1; s <= switches; ++s)
    t.add_switch(Switch{"s" + std::to_string(s), static_cast<std::uint64_t>(s), std::nullopt, {}});
  for (int s = 1; s < switches; ++s)
    t.add_link(Link{PortRef{"s" + std::to_string(s), 10}, PortRef{"s" + std::to_string(s + 1), 11}});
  for (auto [vm, s] : hosts)
    t.add_host(Host{"vm" + std::to_string(vm), corpus_mac(vm), corpus_ip(vm), std::nullopt, "s" + std::to_string(s),
                    static_cast<std::uint32_t>(vm), "t1"});
  return t;
}

inline TapPolicy corpus_policy(std::uint32_t id, int from, int to, int monitor, const std::string& filter = "") {
  TapPolicy p;
  p.id = id;
  p.sender = Endpoint{corpus_mac(from), IpAddress(corpus_ip(from)), false};
  p.receiver = to == 0 ? Endpoint::any_host() : Endpoint{corpus_mac(to), IpAddress(corpus_ip(to)), false};
  p.monitor = Endpoint{corpus_mac(monitor), IpAddress(corpus_ip(monitor)), false};
  p.filter = Match::parse(filter);
  return p;
}

struct CorpusPlan {
  std::string name;
  SwitchPlan plan;
};

// Every non-empty switch plan of every scenario, named "scenario/switch".
inline std::vector<CorpusPlan> plan_corpus(const std::string& examples_dir) {
  std::vector<CorpusPlan> out;
  auto add = [&](const std::string& name, const Plan& plan) {
    for (const auto& [sw, sp] : plan.switches)
      if (!sp.empty()) out.push_back({name + "/" + sw, sp});
  };
  {
    const Topology topo = load_topology(examples_dir + "/fig4/topology.json");
    const auto policies = load_policies(examples_dir + "/fig4/policies.json");
    add("fig4", translate(topo, policies));
  }
  {
    Translator t(corpus_line(3, {{1, 1}, {2, 1}, {3, 3}, {4, 2}}));
    t.add(corpus_policy(1, 1, 2, 3));
    t.add(corpus_policy(3, 2, 1, 4, "tcp,dl_vlan=200,nw_ecn=3"));
    add("remote-transit", t.plan());
  }
  {
    TranslatorOptions o;
    o.rewrite_destination = true;
    Translator t(corpus_line(2, {{1, 1}, {2, 1}, {4, 2}, {5, 1}}), o);
    t.add(corpus_policy(3, 2, 1, 4, "tcp,dl_vlan=200,nw_ecn=3"));
    t.add(corpus_policy(4, 2, 5, 4));
    add("paper-mode", t.plan());
  }
  {
    Translator t(corpus_line(2, {{1, 1}, {2, 1}, {3, 1}, {4, 2}}));
    TapPolicy p = corpus_policy(7, 1, 2, 3);
    p.truncate = 64;
    p.rate_limit = RateLimit{RateLimit::Unit::pktps, 1000, 0};
    t.add(p);
    TapPolicy q = corpus_policy(8, 2, 1, 4, "udp");
    q.truncate = 100;
    q.rate_limit = RateLimit{RateLimit::Unit::kbps, 5000, 200};
    t.add(q);
    add("truncate-ratelimit", t.plan());
  }
  {
    Topology topo;
    topo.add_switch(Switch{"s1", 1, 99, {}});
    topo.add_host(Host{"vm1", corpus_mac(1), corpus_ip(1), std::nullopt, "s1", 1, "t1"});
    topo.add_host(Host{"vm2", corpus_mac(2), corpus_ip(2), std::nullopt, "s1", 2, "t1"});
    Translator t(topo);
    TapPolicy p = corpus_policy(5, 1, 2, 3);
    p.monitor = Endpoint{};
    p.delivery = Delivery::tunnel;
    p.tunnel = TunnelTarget{Ipv4Address::parse("192.0.2.9"), 7, "", std::nullopt};
    t.add(p);
    add("tunnel", t.plan());
  }
  {
    Translator t(corpus_line(2, {{1, 1}, {2, 2}, {3, 1}}));
    TapPolicy p = corpus_policy(1, 1, 2, 3, "tcp,tp_dst=80");
    p.direction = Direction::both;
    t.add(p);
    add("both-directions", t.plan());
  }
  {
    Topology topo;
    topo.add_switch(Switch{"s1", 1, std::nullopt, {}});
    for (int n = 1; n <= 3; ++n)
      topo.add_host(Host{"vm" + std::to_string(n), corpus_mac(n), std::nullopt,
                         Ipv6Address::parse("2001:db8::" + std::to_string(n)), "s1", static_cast<std::uint32_t>(n), ""});
    Translator t(topo);
    TapPolicy p;
    p.id = 1;
    p.sender.ip = Ipv6Address::parse("2001:db8::1");
    p.receiver.ip = Ipv6Address::parse("2001:db8::2");
    p.monitor.ip = Ipv6Address::parse("2001:db8::3");
    p.filter = Match::parse("tcp6,tp_dst=443");
    t.add(p);
    add("ipv6", t.plan());
  }
  {
    Translator t(corpus_line(2, {{1, 1}, {2, 1}, {3, 1}, {4, 2}}));
    t.add(corpus_policy(1, 1, 2, 3, "tcp,tp_dst=80"));
    t.add(corpus_policy(2, 1, 2, 4, "tcp,tp_src=1234"));
    t.add(corpus_policy(3, 1, 2, 3, "tcp,nw_src=10.1.1.0/24"));
    add("composed", t.plan());
  }
  {
    TranslatorOptions o;
    o.forwarding = Forwarding::normal;
    Translator t(corpus_line(2, {{1, 1}, {2, 1}, {3, 2}, {4, 2}}), o);
    t.add(corpus_policy(1, 1, 0, 3, "udp"));
    t.add(corpus_policy(2, 1, 2, 4));
    add("any-receiver", t.plan());
  }
  {
    TranslatorOptions o;
    o.forwarding = Forwarding::resubmit;
    o.resubmit_table = 5;
    o.table = 2;
    Translator t(corpus_line(1, {{1, 1}, {2, 1}, {3, 1}}), o);
    TapPolicy p = corpus_policy(1, 1, 2, 3);
    p.sender.ip.reset();
    p.receiver.ip.reset();
    t.add(p);
    add("resubmit-mac-only", t.plan());
  }
  return out;
}

}  // namespace vtap::testing
