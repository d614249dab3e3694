#pragma once
// Small topologies and policies for translator-level tests: a line of switches joined by
// patch links, hosts vmN with MAC fa:00:00:00:00:0N and IPv4 10.1.1.N.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "libvtap/translate/explain.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap::testing {

inline MacAddress mac(int n) { return MacAddress({0xfa, 0, 0, 0, 0, static_cast<std::uint8_t>(n)}); }
inline Ipv4Address ip(int n) { return Ipv4Address(0x0a010100U + static_cast<std::uint32_t>(n)); }

// A line of switches s1 - s2 - ... joined by patch links (port 10 toward the next switch,
// port 11 toward the previous), and hosts vmN (fa:..:0N, 10.1.1.N) on the given switches.
inline Topology line(int switches, const std::vector<std::pair<int, int>>& hosts /* (vm, switch) */) {
  Topology t;
  for (int s = 1; s <= switches; ++s) t.add_switch(Switch{"s" + std::to_string(s), static_cast<std::uint64_t>(s), std::nullopt, {}});
  for (int s = 1; s < switches; ++s)
    t.add_link(Link{PortRef{"s" + std::to_string(s), 10}, PortRef{"s" + std::to_string(s + 1), 11}});
  for (auto [vm, s] : hosts)
    t.add_host(Host{"vm" + std::to_string(vm), mac(vm), ip(vm), std::nullopt, "s" + std::to_string(s),
                    static_cast<std::uint32_t>(vm), "t1"});
  return t;
}

inline Endpoint host(int n) { return Endpoint{mac(n), IpAddress(ip(n)), false}; }

inline TapPolicy policy(std::uint32_t id, int from, int to, int monitor, const std::string& filter = "") {
  TapPolicy p;
  p.id = id;
  p.sender = host(from);
  p.receiver = to == 0 ? Endpoint::any_host() : host(to);
  p.monitor = host(monitor);
  p.filter = Match::parse(filter);
  return p;
}

inline std::vector<std::string> texts(const auto& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.to_string());
  return out;
}

// Copy destinations of a packet by walking the plan, sorted.
inline std::vector<std::string> walk(const Translator& t, const std::string& packet) {
  auto got = explain(t, Match::parse(packet)).delivered;
  std::sort(got.begin(), got.end());
  return got;
}

// Three nodes of a cluster, n1.br - n2.br - n3.br (one bridge each, as cluster_topology()
// names them), with VM `vm` on node `node` for each (vm, node).
inline Topology cluster_nodes(const std::vector<std::pair<int, int>>& vms) {
  Topology t;
  for (int s = 1; s <= 3; ++s)
    t.add_switch(Switch{"n" + std::to_string(s) + ".br", static_cast<std::uint64_t>(s), std::nullopt, {}});
  t.add_link(Link{PortRef{"n1.br", 10}, PortRef{"n2.br", 11}});
  t.add_link(Link{PortRef{"n2.br", 10}, PortRef{"n3.br", 11}});
  for (auto [vm, node] : vms)
    t.add_host(Host{"vm" + std::to_string(vm), mac(vm), ip(vm), std::nullopt, "n" + std::to_string(node) + ".br",
                    static_cast<std::uint32_t>(vm), "t1"});
  return t;
}

// The entries of `plan` without those in `gone`, plus those in `came`, sorted as a plan is.
template <class T>
std::vector<T> spliced(std::vector<T> plan, const std::vector<T>& gone, const std::vector<T>& came) {
  for (const T& g : gone) {
    auto it = std::find(plan.begin(), plan.end(), g);
    if (it == plan.end()) ADD_FAILURE() << "the delta removes an entry the plan does not hold: " << g.to_string();
    else plan.erase(it);
  }
  plan.insert(plan.end(), came.begin(), came.end());
  std::sort(plan.begin(), plan.end());
  return plan;
}

// `plan` with delta `d` made.
inline SwitchPlan spliced(const SwitchPlan& plan, const SwitchDelta& d) {
  return SwitchPlan{spliced(plan.meters, d.before.meters, d.after.meters),
                    spliced(plan.groups, d.before.groups, d.after.groups),
                    spliced(plan.flows, d.before.flows, d.after.flows)};
}

}  // namespace vtap::testing
