// vtap._core: the pybind11 extension. Each concept is bound in its own translation unit.

#include <string>

#include "bindings.hpp"

#ifndef VTAP_VERSION_STRING
#error "VTAP_VERSION_STRING must be defined by the build (the CMake project version)"
#endif

PYBIND11_MODULE(_core, m) {
  using namespace vtap::python;
  m.doc() = "Native bindings of libvtap: TAP policies compiled to OpenFlow state for Open vSwitch.";
  m.attr("__version__") = VTAP_VERSION_STRING;
  // Order matters: later units refer to the types of earlier ones in their signatures.
  init_errors(m);
  init_address(m);
  init_match(m);
  init_flow(m);
  init_policy(m);
  init_topology(m);
  init_translator(m);
  init_transport(m);
  init_service(m);
  init_discovery(m);
  // The public names, sorted: what `from vtap._core import *` takes and the stubs declare.
  py::list names;
  for (const auto& item : m.attr("__dict__").cast<py::dict>()) {
    const auto name = item.first.cast<std::string>();
    if (!name.starts_with("_")) names.append(name);
  }
  names.attr("sort")();
  m.attr("__all__") = names;
}
