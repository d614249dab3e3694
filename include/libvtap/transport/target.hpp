#pragma once
/// @file
/// Where a switch is: a connection target in `ovs-ofctl` syntax, shared by every transport.

#include <cstdint>
#include <string>
#include <string_view>

namespace vtap::openflow {

/// Where a switch is, in `ovs-ofctl` syntax: `tcp:IP[:PORT]`, `ssl:IP[:PORT]` (port 6653 by
/// default), or `unix:PATH` (e.g. `unix:/var/run/openvswitch/br0.mgmt`).
struct Target {
  enum class Kind : std::uint8_t { tcp, ssl, unix_socket };
  Kind kind = Kind::tcp;
  std::string host;  ///< tcp/ssl: an IP address.
  std::uint16_t port = 6653;
  std::string path;  ///< unix: socket path.
  /// Throws vtap::ParseError naming what is wrong.
  static Target parse(std::string_view text);
  std::string to_string() const;
};

}  // namespace vtap::openflow
