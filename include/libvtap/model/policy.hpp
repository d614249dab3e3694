#pragma once
/// @file
/// A TAP policy: copy the traffic from Sender to Receiver that matches a filter to Monitor.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "libvtap/model/address.hpp"
#include "libvtap/model/match.hpp"

namespace vtap {

/// A host named by MAC and/or IP address, or (receivers only) any host.
struct Endpoint {
  std::optional<MacAddress> mac;
  std::optional<IpAddress> ip;
  bool any = false;  ///< `*`: any destination (receiver only).

  static Endpoint any_host() { return Endpoint{std::nullopt, std::nullopt, true}; }
  /// `*`, or `mac`, `ip`, `mac/ip` joined by a space: `fa:00:00:00:00:01 10.1.1.1`.
  std::string to_string() const;
  auto operator<=>(const Endpoint&) const = default;
};

/// Which traffic between sender and receiver is copied.
enum class Direction : std::uint8_t {
  forward,  ///< Sender to receiver only (the paper's policies).
  both,     ///< Also receiver to sender; the filter is mirrored (tp_dst becomes tp_src).
};

/// How copies travel to the monitor.
enum class Delivery : std::uint8_t {
  marked,   ///< Marked copies along the topology path, recovered at the monitor's edge.
  tunnel,   ///< Encapsulated to a remote collector through the switch's tunnel port.
};

/// A limit on the copies of one policy; production traffic is never limited.
struct RateLimit {
  enum class Unit : std::uint8_t { pktps, kbps };
  Unit unit = Unit::pktps;
  std::uint32_t rate = 0;   ///< > 0.
  std::uint32_t burst = 0;  ///< 0 = switch default.
  auto operator<=>(const RateLimit&) const = default;
};

/// Where tunnel-delivered copies go.
struct TunnelTarget {
  Ipv4Address remote_ip;  ///< Collector's underlay address (set as `tun_dst`).
  std::uint64_t key = 0;  ///< VXLAN VNI / GRE key / ERSPAN session id (set as `tun_id`).
  /// The switch's tunnel port of this OVS type (Switch::tunnel_ports: `gre`, `erspan`,
  /// `vxlan`, `geneve`); empty: its `tunnel_port`.
  std::string type;
  /// ERSPAN v1 index (20 bits, set as `tun_erspan_idx` with `tun_erspan_ver=1`); type `erspan` only.
  std::optional<std::uint32_t> erspan_index;
  auto operator<=>(const TunnelTarget&) const = default;
};

/// One TAP policy. `sender`, `receiver` and `monitor` are the paper's mandatory
/// identifier fields; `filter` holds the optional filtering fields.
struct TapPolicy {
  std::uint32_t id = 0;  ///< 1..0x7fffffff; 0 = "assign the next free id".
  std::string name;
  std::string tenant;
  Endpoint sender;
  Endpoint receiver;     ///< May be Endpoint::any_host().
  Endpoint monitor;      ///< Unused (may be empty) with Delivery::tunnel.
  Match filter;          ///< Must satisfy its own prerequisites; empty = all traffic.
  Direction direction = Direction::forward;
  std::optional<std::uint16_t> truncate;  ///< Copies cut to this many bytes (>= 14).
  std::optional<RateLimit> rate_limit;
  Delivery delivery = Delivery::marked;
  std::optional<TunnelTarget> tunnel;     ///< Required with Delivery::tunnel.

  auto operator<=>(const TapPolicy&) const = default;
};

std::string to_string(Direction d);
std::string to_string(Delivery d);

}  // namespace vtap
