#pragma once
/// @file
/// The network a plan is made for: switches, hosts on switch ports, links between switches.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "libvtap/model/address.hpp"

namespace vtap {

/// One OpenFlow switch (an OVS bridge).
struct Switch {
  std::string name;
  std::uint64_t dpid = 0;
  /// A tunnel port with `options:remote_ip=flow` for Delivery::tunnel copies.
  std::optional<std::uint32_t> tunnel_port;
  /// Such ports by OVS interface type (`gre`, `erspan`, `vxlan`, `geneve`), for copies whose
  /// TunnelTarget names a type.
  std::map<std::string, std::uint32_t> tunnel_ports;
  /// The port that carries copies of tunnel `type` ("" = tunnel_port), if the switch has one.
  std::optional<std::uint32_t> tunnel_port_of(const std::string& type) const {
    if (type.empty()) return tunnel_port;
    auto it = tunnel_ports.find(type);
    return it == tunnel_ports.end() ? std::nullopt : std::optional(it->second);
  }
  auto operator<=>(const Switch&) const = default;
};

/// A VM (or any end host) attached to one switch port.
struct Host {
  std::string name;
  MacAddress mac;
  std::optional<Ipv4Address> ip;
  std::optional<Ipv6Address> ipv6;
  std::string switch_name;
  std::uint32_t port = 0;
  std::string tenant;
  auto operator<=>(const Host&) const = default;
};

/// One end of a link.
struct PortRef {
  std::string switch_name;
  std::uint32_t port = 0;
  auto operator<=>(const PortRef&) const = default;
};

/// A bidirectional link between two switch ports (patch port pair or tunnel).
struct Link {
  PortRef a, b;
  auto operator<=>(const Link&) const = default;
};

/// One switch on a path: where the packet enters and leaves it.
struct Hop {
  std::string switch_name;
  std::uint32_t in_port = 0;   ///< Port the packet arrives on.
  std::uint32_t out_port = 0;  ///< Port it leaves by.
  auto operator<=>(const Hop&) const = default;
};

/// Switches, hosts and links, validated as they are added.
class Topology {
 public:
  /// Throws TopologyError on a duplicate name or dpid.
  void add_switch(Switch s);
  /// Throws TopologyError on an unknown switch, a duplicate name, MAC or IP, or a port in use.
  void add_host(Host h);
  /// Throws TopologyError on an unknown switch or a port already in use.
  void add_link(Link l);

  const std::vector<Switch>& switches() const noexcept { return switches_; }
  const std::vector<Host>& hosts() const noexcept { return hosts_; }
  const std::vector<Link>& links() const noexcept { return links_; }

  const Switch* find_switch(const std::string& name) const noexcept;
  const Host* find_host(const std::string& name) const noexcept;
  const Host* find_host_by_mac(const MacAddress& mac) const noexcept;
  const Host* find_host_by_ip(const IpAddress& ip) const noexcept;

  /// The hops a packet takes from host port `from_port` on `from_switch` to host `to`:
  /// fewest switch-to-switch links, ties broken by switch name then port, so the result
  /// is deterministic. Empty when unreachable.
  std::vector<Hop> path(const std::string& from_switch, std::uint32_t from_port, const Host& to) const;

  /// For every switch that can reach `to_switch`, the port toward it (the next hop on a
  /// shortest path; the same tree `path` walks). `to_switch` itself is absent.
  std::map<std::string, std::uint32_t> next_hops(const std::string& to_switch) const;

 private:
  std::vector<Switch> switches_;
  std::vector<Host> hosts_;
  std::vector<Link> links_;
  std::map<std::string, std::size_t> switch_index_;
  std::map<std::string, std::size_t> host_index_;
  std::unordered_map<MacAddress, std::size_t> mac_index_;
  std::unordered_map<IpAddress, std::size_t> ip_index_;
  std::map<PortRef, std::size_t> port_owner_;  // host or link using a port (for validation)
};

}  // namespace vtap
