#pragma once
// Shared declarations of the vtap._core binding units: one init function per concept.

#include <cstddef>
#include <string>
#include <utility>

#include <pybind11/pybind11.h>
#include <pybind11/typing.h>

namespace vtap::python {

namespace py = pybind11;

void init_errors(py::module_& m);
void init_address(py::module_& m);
void init_match(py::module_& m);
void init_flow(py::module_& m);
void init_policy(py::module_& m);
void init_topology(py::module_& m);
void init_translator(py::module_& m);
void init_transport(py::module_& m);
void init_service(py::module_& m);
void init_discovery(py::module_& m);

/// The `memo` argument of `__deepcopy__`.
using Memo = py::typing::Dict<py::int_, py::object>;

/// `Name('text')`: the repr of a value type built from its text form.
inline std::string text_repr(const char* type_name, const std::string& text) {
  return std::string(type_name) + "(" + py::repr(py::str(text)).cast<std::string>() + ")";
}

/// Mixes `value` into `seed` (boost::hash_combine).
inline std::size_t hash_combine(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

/// The result of a rich comparison: a bool, or NotImplemented when the other operand is of
/// another type. Named `bool` in signatures, as typeshed's object.__eq__ is.
class Comparison : public py::object {
 public:
  using py::object::object;
  explicit Comparison(py::object o) : py::object(std::move(o)) {}
};

/// `==` and `!=` as Python's data model has them: `other: object`; an operand that does not
/// convert to T (pybind11's implicit conversions included) gives NotImplemented, so Python
/// tries the reflected operation.
template <class T, class... Options>
void equality(py::class_<T, Options...>& cls) {
  static constexpr auto compare = [](const T& self, const py::object& other, bool equal) {
    py::detail::make_caster<T> caster;
    if (!caster.load(other, true)) return Comparison(py::reinterpret_borrow<py::object>(Py_NotImplemented));
    const bool same = self == py::detail::cast_op<const T&>(caster);
    return Comparison(py::bool_(same == equal));
  };
  cls.def("__eq__", [](const T& self, const py::object& other) { return compare(self, other, true); },
          py::arg("other"), py::is_operator())
      .def("__ne__", [](const T& self, const py::object& other) { return compare(self, other, false); },
           py::arg("other"), py::is_operator());
}

}  // namespace vtap::python

namespace pybind11::detail {
template <>
struct handle_type_name<vtap::python::Comparison> {
  static constexpr auto name = const_name("bool");
};
}  // namespace pybind11::detail
