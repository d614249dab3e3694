// MacAddress, Ipv4Address, Ipv6Address and the prefixes: immutable value types built from text.

#include <functional>
#include <string>

#include <pybind11/operators.h>

#include <libvtap/model/address.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace vtap::python {

namespace {

// ==, !=, <, <=, >, >=, str, repr and hash shared by every address type.
template <class T, class Hash>
void value_methods(py::class_<T>& cls, const char* name, Hash hash) {
  equality(cls);
  cls.def(py::self < py::self)
      .def(py::self <= py::self)
      .def(py::self > py::self)
      .def(py::self >= py::self)
      .def("__str__", &T::to_string)
      .def("__repr__", [name](const T& v) { return text_repr(name, v.to_string()); })
      .def("__hash__", hash)
      .def("__copy__", [](const T& v) { return v; })
      .def("__deepcopy__", [](const T& v, const Memo&) { return v; }, py::arg("memo"))
      .def(py::pickle([](const T& v) { return v.to_string(); }, [](const std::string& s) { return T::parse(s); }));
  py::implicitly_convertible<py::str, T>();
}

// Prefix.contains(address), the address given as Arg<A>.
template <class P, class A>
bool contains(const P& prefix, const Arg<A>& address) {
  return prefix.contains(address.value);
}

py::bytes to_bytes(const auto& array) {
  return py::bytes(reinterpret_cast<const char*>(array.data()), array.size());
}

}  // namespace

void init_address(py::module_& m) {
  py::class_<MacAddress> mac(m, "MacAddress", "A 48-bit Ethernet address, printed as 'fa:00:00:00:00:01'.");
  mac.def(py::init(&MacAddress::parse), py::arg("text"),
          "Parses 'xx:xx:xx:xx:xx:xx' (hex, case-insensitive). Raises ParseError.")
      .def_property_readonly("packed", [](const MacAddress& a) { return to_bytes(a.bytes()); },
                             "The six bytes of the address.")
      .def_property_readonly("is_multicast", &MacAddress::is_multicast,
                             "True for group (multicast and broadcast) addresses.");
  value_methods(mac, "MacAddress", [](const MacAddress& a) { return std::hash<MacAddress>{}(a); });

  py::class_<Ipv4Address> v4(m, "Ipv4Address", "An IPv4 address, printed as dotted quad '10.1.1.1'.");
  v4.def(py::init(&Ipv4Address::parse), py::arg("text"), "Parses dotted-quad text. Raises ParseError.")
      .def(py::init<std::uint32_t>(), py::arg("value"), "The address whose host-order value is `value`.")
      .def(py::init([](const PyIPv4Address& a) { return from_ipaddress(a); }), py::arg("address"),
           "The same address as an ipaddress.IPv4Address (or IPv4Interface).")
      .def_property_readonly("value", &Ipv4Address::value, "The address as an int (host byte order).")
      .def("__int__", &Ipv4Address::value)
      .def_property_readonly("packed", [](const Ipv4Address& a) { return to_bytes(a.bytes()); },
                             "The four bytes of the address, network order.");
  value_methods(v4, "Ipv4Address", [](const Ipv4Address& a) { return std::hash<Ipv4Address>{}(a); });

  py::class_<Ipv6Address> v6(m, "Ipv6Address", "An IPv6 address, printed in RFC 5952 canonical form.");
  v6.def(py::init(&Ipv6Address::parse), py::arg("text"),
         "Parses RFC 4291 text ('::' compression, embedded IPv4 tail). Raises ParseError.")
      .def(py::init([](const PyIPv6Address& a) { return from_ipaddress(a); }), py::arg("address"),
           "The same address as an ipaddress.IPv6Address (or IPv6Interface; a scope id is dropped).")
      .def_property_readonly("packed", [](const Ipv6Address& a) { return to_bytes(a.bytes()); },
                             "The sixteen bytes of the address, network order.");
  value_methods(v6, "Ipv6Address", [](const Ipv6Address& a) { return std::hash<Ipv6Address>{}(a); });

  py::class_<Ipv4Prefix> p4(m, "Ipv4Prefix", "An IPv4 network '10.0.0.0/8': an address with its host bits cleared.");
  p4.def(py::init(&Ipv4Prefix::parse), py::arg("text"),
         "Parses '10.0.0.0/8'; a bare address is a /32. Raises ParseError.")
      .def(py::init([](const Arg<Ipv4Address>& a, unsigned length) { return Ipv4Prefix(a.value, length); }),
           py::arg("address"), py::arg("length"),
           "Clears the host bits of `address`. Raises ParseError when length > 32.")
      .def(py::init([](const PyIPv4Network& n) { return from_ipaddress(n); }), py::arg("network"),
           "The same network as an ipaddress.IPv4Network.")
      .def_property_readonly("address", &Ipv4Prefix::address, "The network address.")
      .def_property_readonly("length", &Ipv4Prefix::length, "The prefix length, 0..32.")
      .def_property_readonly("mask", &Ipv4Prefix::mask, "The netmask as an int.")
      .def("__contains__", contains<Ipv4Prefix, Ipv4Address>, py::arg("address"),
           "True when `address` is in the network.")
      .def("contains", contains<Ipv4Prefix, Ipv4Address>, py::arg("address"),
           "True when `address` is in the network.");
  value_methods(p4, "Ipv4Prefix", [](const Ipv4Prefix& p) {
    return hash_combine(std::hash<Ipv4Address>{}(p.address()), p.length());
  });

  py::class_<Ipv6Prefix> p6(m, "Ipv6Prefix", "An IPv6 network '2001:db8::/32': an address with its host bits cleared.");
  p6.def(py::init(&Ipv6Prefix::parse), py::arg("text"),
         "Parses '2001:db8::/32'; a bare address is a /128. Raises ParseError.")
      .def(py::init([](const Arg<Ipv6Address>& a, unsigned length) { return Ipv6Prefix(a.value, length); }),
           py::arg("address"), py::arg("length"),
           "Clears the host bits of `address`. Raises ParseError when length > 128.")
      .def(py::init([](const PyIPv6Network& n) { return from_ipaddress(n); }), py::arg("network"),
           "The same network as an ipaddress.IPv6Network.")
      .def_property_readonly("address", &Ipv6Prefix::address, "The network address.")
      .def_property_readonly("length", &Ipv6Prefix::length, "The prefix length, 0..128.")
      .def("__contains__", contains<Ipv6Prefix, Ipv6Address>, py::arg("address"),
           "True when `address` is in the network.")
      .def("contains", contains<Ipv6Prefix, Ipv6Address>, py::arg("address"),
           "True when `address` is in the network.");
  value_methods(p6, "Ipv6Prefix", [](const Ipv6Prefix& p) {
    return hash_combine(std::hash<Ipv6Address>{}(p.address()), p.length());
  });
}

}  // namespace vtap::python
