#pragma once
// Conversions from loosely typed Python arguments (str or value object) to libvtap values,
// so that keyword constructors accept `mac="fa:00:00:00:00:01"` as well as MacAddress(...),
// and a malformed string raises ParseError with libvtap's message (an implicit conversion
// would turn it into a TypeError).

#include <optional>
#include <string>

#include <libvtap/model/address.hpp>
#include <libvtap/model/error.hpp>
#include <libvtap/model/match.hpp>

#include "bindings.hpp"

namespace vtap::python {

inline Match to_match(py::handle h) {
  if (h.is_none()) return Match{};
  if (py::isinstance<py::str>(h)) return Match::parse(h.cast<std::string>());
  return h.cast<Match>();
}

inline std::optional<MacAddress> to_mac(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(h)) return MacAddress::parse(h.cast<std::string>());
  return h.cast<MacAddress>();
}

inline std::optional<Ipv4Address> to_ipv4(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(h)) return Ipv4Address::parse(h.cast<std::string>());
  return h.cast<Ipv4Address>();
}

inline std::optional<Ipv6Address> to_ipv6(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(h)) return Ipv6Address::parse(h.cast<std::string>());
  return h.cast<Ipv6Address>();
}

/// An IPv4 or IPv6 address from str, Ipv4Address or Ipv6Address.
inline std::optional<IpAddress> to_ip(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(h)) return IpAddress::parse(h.cast<std::string>());
  if (py::isinstance<Ipv6Address>(h)) return IpAddress(h.cast<Ipv6Address>());
  return IpAddress(h.cast<Ipv4Address>());
}

inline py::object from_ip(const std::optional<IpAddress>& ip) {
  if (!ip) return py::none();
  if (ip->is_v4()) return py::cast(ip->v4());
  return py::cast(ip->v6());
}

}  // namespace vtap::python
