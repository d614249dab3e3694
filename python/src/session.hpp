#pragma once
// The connection options that Transport.connect() and Service() take: keyword-only arguments
// named as the fields of openflow::SessionOptions, with its defaults, durations in seconds.
//
//   f = with_session_options<R, A, B>([](A a, B b, openflow::SessionOptions o) -> R { ... });
//   std::apply([&](auto... options) { cls.def("name", f, py::arg("a"), py::arg("b"), py::kw_only(),
//                                              options..., "doc"); }, session_arguments());

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <libvtap/openflow/version.hpp>
#include <libvtap/transport/session_options.hpp>

#include "bindings.hpp"

namespace vtap::python {

/// OpenFlow versions: Version members or their names ("OpenFlow15"), or one string of names
/// joined by commas ("OpenFlow13,OpenFlow15", as ovs-ofctl -O takes them); None: the default.
using VersionsArg = std::optional<std::variant<py::str, std::vector<std::variant<openflow::Version, py::str>>>>;
/// A PEM file for ssl: targets; None: none.
using PemFileArg = std::optional<std::filesystem::path>;

/// Seconds as a duration; ValueError unless >= 0.
std::chrono::milliseconds seconds(double s, const char* name);

/// SessionOptions from the arguments of with_session_options() (transport.cpp).
/// `protocols` and `timeout` are the older names of `versions` and `request_timeout`.
openflow::SessionOptions session_options(const VersionsArg& versions, double echo_interval, unsigned echo_misses,
                                         double request_timeout, std::size_t bundle_chunk,
                                         const PemFileArg& ssl_private_key, const PemFileArg& ssl_certificate,
                                         const PemFileArg& ssl_ca_certificate, const VersionsArg& protocols,
                                         std::optional<double> timeout);

inline double seconds_of(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

/// The keyword-only arguments of the connection options, in the order with_session_options()
/// takes them, with the defaults of openflow::SessionOptions.
inline auto session_arguments() {
  const openflow::SessionOptions defaults;
  return std::make_tuple(py::arg("versions") = py::none(),
                         py::arg("echo_interval") = seconds_of(defaults.echo_interval),
                         py::arg("echo_misses") = defaults.echo_misses,
                         py::arg("request_timeout") = seconds_of(defaults.request_timeout),
                         py::arg("bundle_chunk") = defaults.bundle_chunk,
                         py::arg("ssl_private_key") = py::none(), py::arg("ssl_certificate") = py::none(),
                         py::arg("ssl_ca_certificate") = py::none(), py::arg("protocols") = py::none(),
                         py::arg("timeout") = py::none());
}

/// The docstring paragraph of the connection options.
inline constexpr const char* session_arguments_doc =
    "Connection options (keyword-only): versions (Version members or names, or 'OpenFlow13,OpenFlow15'; "
    "default: every version libvtap speaks), echo_interval (seconds between keepalive echos, 0: none), "
    "echo_misses (unanswered echos before the switch counts as gone), request_timeout (seconds), "
    "bundle_chunk (most messages in one bundle), ssl_private_key, ssl_certificate, ssl_ca_certificate (PEM "
    "files for ssl: targets). protocols and timeout are older names of versions and request_timeout.";

/// `f(lead..., SessionOptions)` as a function of `lead...` followed by the connection options.
template <class R, class... Lead, class F>
auto with_session_options(F f) {
  return [f = std::move(f)](Lead... lead, VersionsArg versions, double echo_interval, unsigned echo_misses,
                            double request_timeout, std::size_t bundle_chunk, PemFileArg ssl_private_key,
                            PemFileArg ssl_certificate, PemFileArg ssl_ca_certificate, VersionsArg protocols,
                            std::optional<double> timeout) -> R {
    return f(std::forward<Lead>(lead)...,
             session_options(versions, echo_interval, echo_misses, request_timeout, bundle_chunk, ssl_private_key,
                             ssl_certificate, ssl_ca_certificate, protocols, timeout));
  };
}

}  // namespace vtap::python
