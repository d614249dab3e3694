#pragma once
// Shared declarations of the vtap._core binding units: one init function per concept.

#include <cstddef>
#include <string>

#include <pybind11/pybind11.h>

#include "libvtap/native/session.hpp"

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

/// SessionOptions from Transport.connect()-style keyword arguments (transport.cpp).
openflow::SessionOptions session_options(const py::kwargs& kwargs);

/// `Name('text')`: the repr of a value type built from its text form.
inline std::string text_repr(const char* type_name, const std::string& text) {
  return std::string(type_name) + "(" + py::repr(py::str(text)).cast<std::string>() + ")";
}

/// Mixes `value` into `seed` (boost::hash_combine).
inline std::size_t hash_combine(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace vtap::python
