// Service, its events and per-policy counters. Every call releases the GIL while the
// service talks to switches; event handlers take it back to run Python code.

#include <pybind11/chrono.h>
#include <pybind11/functional.h>
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <pybind11/typing.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "libvtap/service/service.hpp"
#include "libvtap/native/native_transport.hpp"
#include "session.hpp"

namespace vtap::python {
namespace {

Caller caller_of(const std::optional<std::string>& tenant) {
  return tenant ? Caller::of_tenant(*tenant) : Caller::administrator();
}

using EventHandler = py::typing::Callable<py::object(const ServiceEvent&)>;

// A Python callable that may be copied and destroyed on any thread: only the shared_ptr
// is copied; the object itself is released with the GIL held.
std::function<void(const ServiceEvent&)> event_handler(EventHandler f) {
  auto held = std::shared_ptr<py::function>(new py::function(std::move(f)), [](py::function* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
  return [held](const ServiceEvent& e) {
    py::gil_scoped_acquire gil;
    try {
      (*held)(e);
    } catch (py::error_already_set& err) {
      err.discard_as_unraisable("vtap.Service event handler");
    }
  };
}

}  // namespace

void init_service(py::module_& m) {
  py::native_enum<ServiceEvent::Kind>(m, "EventKind", "enum.Enum", "What a ServiceEvent reports.")
      .value("applied", ServiceEvent::Kind::applied, "A policy change is on every reachable switch.")
      .value("failed", ServiceEvent::Kind::failed, "A change or repair failed; detail has the switch's error.")
      .value("switch_connected", ServiceEvent::Kind::switch_connected, "A switch (re)connected.")
      .value("switch_disconnected", ServiceEvent::Kind::switch_disconnected, "A switch went away.")
      .value("drift_repaired", ServiceEvent::Kind::drift_repaired,
             "reconcile() found a switch holding something else than the plan and fixed it.")
      .value("policy_inactive", ServiceEvent::Kind::policy_inactive,
             "After a topology change a policy no longer resolves; it is kept, not installed.")
      .value("policy_active", ServiceEvent::Kind::policy_active,
             "After a topology change an inactive policy resolves again and is installed.")
      .value("topology_changed", ServiceEvent::Kind::topology_changed,
             "set_topology() replaced the topology; detail says which VMs were added, moved or removed.")
      .finalize();

  py::class_<ServiceEvent>(m, "ServiceEvent", "Something the Service did or saw.")
      .def_readonly("kind", &ServiceEvent::kind, "EventKind.")
      .def_readonly("switch_name", &ServiceEvent::switch_name, "The switch it is about, or ''.")
      .def_readonly("policy_id", &ServiceEvent::policy_id, "The policy it is about, or None.")
      .def_readonly("tenant", &ServiceEvent::tenant, "The tenant of that policy, or ''.")
      .def_readonly("detail", &ServiceEvent::detail, "What changed, or the error.")
      .def("__repr__", [](const ServiceEvent& e) {
        return "<ServiceEvent " + to_string(e.kind) + (e.switch_name.empty() ? "" : " " + e.switch_name) +
               (e.policy_id ? " policy " + std::to_string(*e.policy_id) : "") + ": " + e.detail + ">";
      });

  py::class_<PolicyStats> stats(m, "PolicyStats", "Counters of one policy, summed over its rewriting rules.");
  stats.def_readonly("packets", &PolicyStats::packets, "Packets that matched the policy's rules.")
      .def_readonly("bytes", &PolicyStats::bytes, "Bytes that matched.")
      .def_readonly("copies", &PolicyStats::copies, "Copies sent toward its monitor (or tunnel).")
      .def_readonly("copy_bytes", &PolicyStats::copy_bytes, "Bytes of those copies.")
      .def("__repr__", [](const PolicyStats& s) {
        return "PolicyStats(packets=" + std::to_string(s.packets) + ", bytes=" + std::to_string(s.bytes) +
               ", copies=" + std::to_string(s.copies) + ", copy_bytes=" + std::to_string(s.copy_bytes) + ")";
      });
  equality(stats);

  py::class_<Service> service(
      m, "Service",
      "The vTAP application: owns the policy set and keeps every switch holding exactly its plan.\n"
      "Changes are validated (topology, tenant) before anything is sent, then applied\n"
      "make-before-break across switches, all or nothing. `tenant=None` acts as an administrator;\n"
      "a tenant sees and changes only its own policies. A context manager: stop() on exit.");
  using Targets = std::map<std::string, std::string>;
  using TransportArg = std::optional<std::shared_ptr<Transport>>;
  using StateFileArg = std::optional<std::filesystem::path>;
  const auto init = with_session_options<std::unique_ptr<Service>, Topology, Targets, TransportArg,
                                         std::optional<TranslatorOptions>, StateFileArg>(
      [](Topology topology, Targets targets, TransportArg transport, std::optional<TranslatorOptions> options,
         StateFileArg state_file, const openflow::SessionOptions& session) {
        ServiceOptions o;
        if (options) o.translator = *options;
        o.session = session;
        if (state_file) o.store = make_file_store(*state_file);
        auto t = transport.value_or(nullptr);
        if (!t) t = make_native_transport();
        return std::make_unique<Service>(std::move(topology), std::move(targets), std::move(t), o);
      });
  static const std::string init_doc =
      std::string("topology: Topology; targets: {switch name: 'unix:PATH' | 'tcp:IP[:PORT]' | 'ssl:IP[:PORT]'};\n"
                  "transport: a Transport (default: native_transport()); options: TranslatorOptions;\n"
                  "state_file: JSON policy file kept across restarts (loaded now, replaced atomically on change).\n"
                  "Connects nothing until reconcile(), start() or a change.\n\n") +
      session_arguments_doc;
  std::apply(
      [&](auto... session) {
        service.def(py::init(init), py::arg("topology"), py::arg("targets"), py::arg("transport") = py::none(),
                    py::kw_only(), py::arg("options") = py::none(), py::arg("state_file") = py::none(), session...,
                    init_doc.c_str());
      },
      session_arguments());
  service
      .def("add", [](Service& s, TapPolicy p, std::optional<std::string> tenant) {
             py::gil_scoped_release release;
             return s.add(std::move(p), caller_of(tenant));
           }, py::arg("policy"), py::kw_only(), py::arg("tenant") = std::nullopt,
           "Adds and applies a TapPolicy (id 0: the next id); returns its id. Raises PolicyError or TransportError;\n"
           "then nothing changed anywhere.")
      .def("modify", [](Service& s, TapPolicy p, std::optional<std::string> tenant) {
             py::gil_scoped_release release;
             s.modify(std::move(p), caller_of(tenant));
           }, py::arg("policy"), py::kw_only(), py::arg("tenant") = std::nullopt,
           "Replaces the policy with the same id.")
      .def("remove", [](Service& s, std::uint32_t id, std::optional<std::string> tenant) {
             py::gil_scoped_release release;
             s.remove(id, caller_of(tenant));
           }, py::arg("id"), py::kw_only(), py::arg("tenant") = std::nullopt, "Removes a policy and its rules.")
      .def("list", [](const Service& s, std::optional<std::string> tenant) { return s.list(caller_of(tenant)); },
           py::kw_only(), py::arg("tenant") = std::nullopt, "The caller's policies, by id.")
      .def("get", [](const Service& s, std::uint32_t id, std::optional<std::string> tenant) {
             return s.get(id, caller_of(tenant));
           }, py::arg("id"), py::kw_only(), py::arg("tenant") = std::nullopt, "The policy, or None.")
      .def_property_readonly("inactive", &Service::inactive, "Ids of policies that do not resolve in the topology.")
      .def("set_topology", &Service::set_topology, py::arg("topology"),
           py::arg("targets") = std::map<std::string, std::string>{}, py::call_guard<py::gil_scoped_release>(),
           "Replaces the topology (a VM moved, a switch or monitor came or went) and moves every switch.")
      .def("reconcile", &Service::reconcile, py::call_guard<py::gil_scoped_release>(),
           "Connects what is not connected, repairs what differs from the plan; returns modifications sent.")
      .def("start", [](Service& s, double interval) {
             py::gil_scoped_release release;
             s.start(std::chrono::milliseconds(static_cast<long>(interval * 1000)));
           }, py::arg("interval") = 1.0, "Runs reconcile() every `interval` seconds on a background thread.")
      .def("stop", &Service::stop, py::call_guard<py::gil_scoped_release>(), "Stops the background thread.")
      .def("stats", &Service::stats, py::call_guard<py::gil_scoped_release>(),
           "{policy id: PolicyStats} from the reachable switches' flow and group-bucket counters.")
      .def("plan", &Service::plan, "The Plan every switch should hold now.")
      .def_property_readonly("connected", &Service::connected, "Names of the switches with an open connection.")
      .def("on_event", [](Service& s, EventHandler f) { s.on_event(event_handler(std::move(f))); },
           py::arg("handler"),
           "Calls handler(ServiceEvent) for every event (from the thread that caused it); its result is ignored.")
      .def("__enter__", [](Service& s) -> Service& { return s; }, py::return_value_policy::reference,
           "Returns the service itself.")
      .def(
          "__exit__",
          [](Service& s, const ExcTypeArg&, const ExcValueArg&, const TracebackArg&) {
            py::gil_scoped_release release;
            s.stop();
            return false;
          },
          py::arg("exc_type"), py::arg("exc_value"), py::arg("traceback"), "Calls stop().");
}

}  // namespace vtap::python
