#pragma once
// Small topologies and policies for translator-level tests: a line of switches joined by
// patch links, hosts vmN with MAC fa:00:00:00:00:0N and IPv4 10.1.1.N.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

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

}  // namespace vtap::testing
