#pragma once
// Argument types that take more than one Python type, each with its precise union in the
// signature (and so in the stubs):
//
//   Arg<MacAddress>   MacAddress | str
//   Arg<Ipv4Address>  Ipv4Address | ipaddress.IPv4Address | str
//   Arg<Ipv6Address>  Ipv6Address | ipaddress.IPv6Address | str
//   Arg<IpAddress>    Ipv4Address | Ipv6Address | ipaddress.IPv4Address | ipaddress.IPv6Address | str
//   Arg<Match>        Match | str
//   Arg<IdRange>      IdRange | tuple[int, int]
//
// Text is parsed by libvtap, so a malformed string raises ParseError with libvtap's message
// (pybind11's implicit conversions would turn it into a TypeError). An ipaddress.IPv4Interface
// is an IPv4Address (its address), as in the ipaddress module.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include <libvtap/model/address.hpp>
#include <libvtap/model/error.hpp>
#include <libvtap/model/match.hpp>
#include <libvtap/model/ownership.hpp>

#include "bindings.hpp"

namespace vtap::python {

// ------------------------------------------------------------------ ipaddress objects

/// The classes of Python's ipaddress module that the bindings accept.
enum class IpClass { v4_address, v6_address, v4_network, v6_network };

/// Whether `o` is an instance of ipaddress's class `c`. ipaddress is never imported here: while
/// it is not imported, no object can be one of its instances.
inline bool is_ipaddress(PyObject* o, IpClass c) {
  static PyObject* classes[4] = {};  // the classes, once found; live as long as the interpreter
  static constexpr const char* names[] = {"IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network"};
  PyObject*& cls = classes[static_cast<int>(c)];
  if (cls == nullptr) {
    py::str module_name("ipaddress");
    PyObject* module = PyImport_GetModule(module_name.ptr());  // no import: NULL when not imported
    if (module == nullptr) {
      PyErr_Clear();
      return false;
    }
    cls = PyObject_GetAttrString(module, names[static_cast<int>(c)]);
    Py_DECREF(module);
    if (cls == nullptr) {
      PyErr_Clear();
      return false;
    }
  }
  const int result = PyObject_IsInstance(o, cls);
  if (result < 0) PyErr_Clear();
  return result == 1;
}

/// An instance of ipaddress's class `C`; named `ipaddress.IPv4Address` etc. in signatures.
template <IpClass C>
class IpObject : public py::object {
 public:
  static bool is_instance(PyObject* o) { return is_ipaddress(o, C); }
  PYBIND11_OBJECT_DEFAULT(IpObject, py::object, is_instance)
};
using PyIPv4Address = IpObject<IpClass::v4_address>;
using PyIPv6Address = IpObject<IpClass::v6_address>;
using PyIPv4Network = IpObject<IpClass::v4_network>;
using PyIPv6Network = IpObject<IpClass::v6_network>;

inline Ipv4Address from_ipaddress(const PyIPv4Address& a) { return Ipv4Address(py::int_(a).cast<std::uint32_t>()); }

inline Ipv6Address from_ipaddress(const PyIPv6Address& a) {
  const auto packed = a.attr("packed").cast<std::string>();
  Ipv6Address::Bytes bytes{};
  if (packed.size() != bytes.size())
    throw py::value_error("an IPv6 address of " + std::to_string(packed.size()) + " bytes");
  std::memcpy(bytes.data(), packed.data(), bytes.size());
  return Ipv6Address(bytes);
}

inline Ipv4Prefix from_ipaddress(const PyIPv4Network& n) {
  return {from_ipaddress(PyIPv4Address(n.attr("network_address"))), n.attr("prefixlen").cast<unsigned>()};
}

inline Ipv6Prefix from_ipaddress(const PyIPv6Network& n) {
  return {from_ipaddress(PyIPv6Address(n.attr("network_address"))), n.attr("prefixlen").cast<unsigned>()};
}

// ------------------------------------------------------------------ Arg<T>

/// An argument of type T given as any of ArgTraits<T>::Alternatives.
template <class T>
struct Arg {
  T value{};
};

template <class T>
struct ArgTraits;

template <>
struct ArgTraits<MacAddress> {
  using Alternatives = std::variant<MacAddress, py::str>;
  static MacAddress from(const MacAddress& a) { return a; }
  static MacAddress from(const py::str& s) { return MacAddress::parse(s.cast<std::string>()); }
};

template <>
struct ArgTraits<Ipv4Address> {
  using Alternatives = std::variant<Ipv4Address, PyIPv4Address, py::str>;
  static Ipv4Address from(const Ipv4Address& a) { return a; }
  static Ipv4Address from(const PyIPv4Address& a) { return from_ipaddress(a); }
  static Ipv4Address from(const py::str& s) { return Ipv4Address::parse(s.cast<std::string>()); }
};

template <>
struct ArgTraits<Ipv6Address> {
  using Alternatives = std::variant<Ipv6Address, PyIPv6Address, py::str>;
  static Ipv6Address from(const Ipv6Address& a) { return a; }
  static Ipv6Address from(const PyIPv6Address& a) { return from_ipaddress(a); }
  static Ipv6Address from(const py::str& s) { return Ipv6Address::parse(s.cast<std::string>()); }
};

template <>
struct ArgTraits<IpAddress> {
  using Alternatives = std::variant<Ipv4Address, Ipv6Address, PyIPv4Address, PyIPv6Address, py::str>;
  static IpAddress from(const Ipv4Address& a) { return a; }
  static IpAddress from(const Ipv6Address& a) { return a; }
  static IpAddress from(const PyIPv4Address& a) { return from_ipaddress(a); }
  static IpAddress from(const PyIPv6Address& a) { return from_ipaddress(a); }
  static IpAddress from(const py::str& s) { return IpAddress::parse(s.cast<std::string>()); }
};

template <>
struct ArgTraits<Match> {
  using Alternatives = std::variant<Match, py::str>;
  static Match from(const Match& m) { return m; }
  static Match from(const py::str& s) { return Match::parse(s.cast<std::string>()); }
};

template <>
struct ArgTraits<IdRange> {
  using Alternatives = std::variant<IdRange, std::pair<std::uint32_t, std::uint32_t>>;
  static IdRange from(const IdRange& r) { return r; }
  static IdRange from(const std::pair<std::uint32_t, std::uint32_t>& t) { return IdRange{t.first, t.second}; }
};

/// The value of an optional Arg, or nullopt.
template <class T>
std::optional<T> value(const std::optional<Arg<T>>& a) {
  if (!a) return std::nullopt;
  return a->value;
}

/// The value of an optional Arg, or `fallback`.
template <class T>
T value_or(const std::optional<Arg<T>>& a, T fallback) {
  return a ? a->value : std::move(fallback);
}

/// An IPv4 or IPv6 address as the Python object of its family (None for none).
using IpResult = std::optional<std::variant<Ipv4Address, Ipv6Address>>;
inline IpResult to_python(const std::optional<IpAddress>& ip) {
  if (!ip) return std::nullopt;
  if (ip->is_v4()) return ip->v4();
  return ip->v6();
}

// ------------------------------------------------------------------ typed Python objects

/// The exception instance of `__exit__` (`BaseException` in signatures).
class PyBaseException : public py::object {
 public:
  static bool is_instance(PyObject* o) { return PyExceptionInstance_Check(o) != 0; }
  PYBIND11_OBJECT_DEFAULT(PyBaseException, py::object, is_instance)
};

/// The traceback of `__exit__` (`types.TracebackType` in signatures).
class PyTraceback : public py::object {
 public:
  static bool is_instance(PyObject* o) { return PyTraceBack_Check(o) != 0; }
  PYBIND11_OBJECT_DEFAULT(PyTraceback, py::object, is_instance)
};

/// The arguments of `__exit__`: `type[BaseException] | None`, `BaseException | None`,
/// `types.TracebackType | None`.
using ExcTypeArg = std::optional<py::typing::Type<PyBaseException>>;
using ExcValueArg = std::optional<PyBaseException>;
using TracebackArg = std::optional<PyTraceback>;

}  // namespace vtap::python

namespace pybind11::detail {

template <vtap::python::IpClass C>
struct handle_type_name<vtap::python::IpObject<C>> {
  static constexpr auto name = const_name<C == vtap::python::IpClass::v4_address>(
      const_name("ipaddress.IPv4Address"),
      const_name<C == vtap::python::IpClass::v6_address>(
          const_name("ipaddress.IPv6Address"),
          const_name<C == vtap::python::IpClass::v4_network>(const_name("ipaddress.IPv4Network"),
                                                             const_name("ipaddress.IPv6Network"))));
};

template <>
struct handle_type_name<vtap::python::PyBaseException> {
  static constexpr auto name = const_name("BaseException");
};

template <>
struct handle_type_name<vtap::python::PyTraceback> {
  static constexpr auto name = const_name("types.TracebackType");
};

/// Arg<T>: loads any of the alternatives (without conversions first, as std::variant does)
/// and converts it to T; named as their union.
template <class T>
struct type_caster<vtap::python::Arg<T>> {
  using Traits = vtap::python::ArgTraits<T>;
  using Alternatives = typename Traits::Alternatives;
  PYBIND11_TYPE_CASTER(vtap::python::Arg<T>, make_caster<Alternatives>::name);

  bool load(handle src, bool convert) {
    make_caster<Alternatives> inner;
    if (!inner.load(src, convert)) return false;
    value.value = std::visit([](const auto& a) { return T(Traits::from(a)); }, cast_op<Alternatives&>(inner));
    return true;
  }

  static handle cast(const vtap::python::Arg<T>& a, return_value_policy policy, handle parent) {
    return make_caster<T>::cast(a.value, policy, parent);
  }
};

}  // namespace pybind11::detail
