// Transports and switch connections. Every call that waits on the network releases the GIL.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <libvtap/openflow/error.hpp>
#include <libvtap/transport/transport.hpp>

#include "bindings.hpp"
#include "convert.hpp"
#include "session.hpp"
#include "libvtap/native/native_transport.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/transport.hpp"
#endif

namespace vtap::python {

namespace {

using openflow::Version;

Version version_from(const std::variant<Version, py::str>& v) {
  if (const auto* version = std::get_if<Version>(&v)) return *version;
  const auto text = std::get<py::str>(v).cast<std::string>();
  if (auto version = openflow::version_from_string(text)) return *version;
  throw ParseError("unknown OpenFlow version \"" + text + "\" (OpenFlow13, OpenFlow14 or OpenFlow15)");
}

std::vector<Version> versions_from(const std::variant<py::str, std::vector<std::variant<Version, py::str>>>& v) {
  std::vector<Version> out;
  if (const auto* list = std::get_if<1>(&v)) {
    for (const auto& x : *list) out.push_back(version_from(x));
    return out;
  }
  // "OpenFlow13,OpenFlow15", as ovs-ofctl -O takes it.
  const auto text = std::get<py::str>(v).cast<std::string>();
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    out.push_back(version_from(py::str(text.substr(start, comma - start))));
    start = comma + 1;
  }
  return out;
}

// A SwitchConnection serves one thread at a time; Python threads may share one, so calls
// are serialised here. The GIL is released before the lock is taken (a thread waiting on the
// network holds the lock without the GIL), and close() takes no lock, so it can interrupt a
// call in progress (which then fails with "closed"). The connection holds its Transport, which
// outlives it (members are destroyed in reverse order).
struct Connection {
  std::shared_ptr<Transport> transport;
  std::unique_ptr<SwitchConnection> impl;
  std::mutex mutex;

  template <class F>
  auto call(F&& f) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    return f(*impl);
  }
};

std::string plural(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::chrono::milliseconds seconds(double s, const char* name) {
  if (!(s >= 0)) throw py::value_error(std::string(name) + " must be a number of seconds >= 0");
  return std::chrono::milliseconds(static_cast<long long>(s * 1000.0 + 0.5));
}

openflow::SessionOptions session_options(const VersionsArg& versions, double echo_interval, unsigned echo_misses,
                                         double request_timeout, std::size_t bundle_chunk,
                                         const PemFileArg& ssl_private_key, const PemFileArg& ssl_certificate,
                                         const PemFileArg& ssl_ca_certificate, const VersionsArg& protocols,
                                         std::optional<double> timeout) {
  openflow::SessionOptions o;
  if (versions && protocols) throw py::type_error("give versions or protocols (its older name), not both");
  if (const auto& v = versions ? versions : protocols) o.versions = versions_from(*v);
  o.echo_interval = seconds(echo_interval, "echo_interval");
  o.echo_misses = echo_misses;
  o.request_timeout = seconds(request_timeout, "request_timeout");
  if (timeout) {
    if (o.request_timeout != openflow::SessionOptions{}.request_timeout &&
        o.request_timeout != seconds(*timeout, "timeout"))
      throw py::type_error("give request_timeout or timeout (its older name), not both");
    o.request_timeout = seconds(*timeout, "timeout");
  }
  o.bundle_chunk = bundle_chunk;
  if (ssl_private_key) o.ssl_private_key = ssl_private_key->string();
  if (ssl_certificate) o.ssl_certificate = ssl_certificate->string();
  if (ssl_ca_certificate) o.ssl_ca_certificate = ssl_ca_certificate->string();
  return o;
}

void init_transport(py::module_& m) {
  py::native_enum<Version>(m, "Version", "enum.Enum", "OpenFlow protocol versions libvtap speaks.")
      .value("of13", Version::of13, "OpenFlow 1.3 (wire 0x04).")
      .value("of14", Version::of14, "OpenFlow 1.4 (wire 0x05).")
      .value("of15", Version::of15, "OpenFlow 1.5 (wire 0x06).")
      .finalize();

  py::class_<openflow::ChangeSet> cs(m, "ChangeSet", "The minimal change that turns one switch's libvtap state into a plan.");
  cs.def_property_readonly("empty", &openflow::ChangeSet::empty, "True when nothing changes.")
      .def_property_readonly("summary", &openflow::ChangeSet::summary, "e.g. '+2 flows, ~1 group, -1 meter' or 'no change'.")
      .def_readonly("flows_added", &openflow::ChangeSet::flows_added, "Number of flows added.")
      .def_readonly("flows_modified", &openflow::ChangeSet::flows_modified, "Number of flows modified.")
      .def_readonly("flows_deleted", &openflow::ChangeSet::flows_deleted, "Number of flows deleted.")
      .def_readonly("groups_added", &openflow::ChangeSet::groups_added, "Number of groups added.")
      .def_readonly("groups_modified", &openflow::ChangeSet::groups_modified, "Number of groups modified.")
      .def_readonly("groups_deleted", &openflow::ChangeSet::groups_deleted, "Number of groups deleted.")
      .def_readonly("meters_added", &openflow::ChangeSet::meters_added, "Number of meters added.")
      .def_readonly("meters_modified", &openflow::ChangeSet::meters_modified, "Number of meters modified.")
      .def_readonly("meters_deleted", &openflow::ChangeSet::meters_deleted, "Number of meters deleted.")
      .def_property_readonly("messages", &openflow::ChangeSet::messages,
                             "Number of OpenFlow messages the change sends (meter mods and bundled flow/group mods).")
      .def("__str__", &openflow::ChangeSet::summary)
      .def("__repr__", [](const openflow::ChangeSet& c) { return "<ChangeSet " + c.summary() + ">"; });
  m.def("diff", &openflow::diff, py::arg("have"), py::arg("want"),
        "The minimal ChangeSet from SwitchPlan `have` to SwitchPlan `want` (pure, no switch involved).");

  py::class_<openflow::BundleResult> br(m, "BundleResult", "What a bundle operation did.");
  br.def_readonly("messages", &openflow::BundleResult::messages, "Messages sent in bundles.")
      .def_readonly("bundles", &openflow::BundleResult::bundles, "Bundles committed.")
      .def_readonly("failed_index", &openflow::BundleResult::failed_index, "Index of the refused message, or None.")
      .def("__repr__", [](const openflow::BundleResult& b) {
        return "<BundleResult " + plural(b.messages, "message") + " in " + plural(b.bundles, "bundle") + ">";
      });

  py::class_<openflow::InstallReport> ir(m, "InstallReport", "What SwitchConnection.install() did.");
  ir.def_readonly("change", &openflow::InstallReport::change, "The ChangeSet that was applied.")
      .def_readonly("bundle", &openflow::InstallReport::bundle, "The BundleResult of applying it.")
      .def_property_readonly("summary", [](const openflow::InstallReport& r) { return r.change.summary(); },
                             "e.g. '+2 flows, +1 group' or 'no change'.")
      .def("__str__", [](const openflow::InstallReport& r) { return r.change.summary(); })
      .def("__repr__", [](const openflow::InstallReport& r) { return "<InstallReport " + r.change.summary() + ">"; });

  py::class_<openflow::FlowStats> fs(m, "FlowStats", "Counters of one libvtap flow on a switch.");
  fs.def_readonly("rule", &openflow::FlowStats::rule, "The FlowRule as the switch holds it.")
      .def_property_readonly("cookie", [](const openflow::FlowStats& f) { return f.rule.cookie; }, "The rule's cookie.")
      .def_property_readonly("table", [](const openflow::FlowStats& f) { return f.rule.table; }, "The rule's table.")
      .def_property_readonly("priority", [](const openflow::FlowStats& f) { return f.rule.priority; },
                             "The rule's priority.")
      .def_property_readonly("match", [](const openflow::FlowStats& f) { return f.rule.match; }, "The rule's Match.")
      .def_readonly("packet_count", &openflow::FlowStats::packet_count, "Packets matched.")
      .def_readonly("byte_count", &openflow::FlowStats::byte_count, "Bytes matched.")
      .def_readonly("duration_sec", &openflow::FlowStats::duration_sec, "Seconds since the rule was added.")
      .def_readonly("duration_nsec", &openflow::FlowStats::duration_nsec, "Nanoseconds beyond duration_sec.")
      .def_readonly("idle_timeout", &openflow::FlowStats::idle_timeout, "Idle timeout in seconds (0: none).")
      .def_readonly("hard_timeout", &openflow::FlowStats::hard_timeout, "Hard timeout in seconds (0: none).")
      .def_readonly("flags", &openflow::FlowStats::flags, "OFPFF_* flags of the flow.")
      .def("__repr__", [](const openflow::FlowStats& f) {
        return "<FlowStats n_packets=" + std::to_string(f.packet_count) + " n_bytes=" + std::to_string(f.byte_count) +
               " " + f.rule.to_string() + ">";
      });

  py::class_<openflow::Counter> counter(m, "Counter", "A packet and byte counter.");
  counter.def_readonly("packet_count", &openflow::Counter::packet_count, "Packets.")
      .def_readonly("byte_count", &openflow::Counter::byte_count, "Bytes.")
      .def("__repr__", [](const openflow::Counter& c) {
        return "<Counter packets=" + std::to_string(c.packet_count) + " bytes=" + std::to_string(c.byte_count) + ">";
      });

  py::class_<openflow::GroupStats> gs(m, "GroupStats", "Counters of one group: in total and per bucket.");
  gs.def_readonly("group_id", &openflow::GroupStats::group_id, "Group id.")
      .def_readonly("ref_count", &openflow::GroupStats::ref_count, "Flows using the group.")
      .def_readonly("total", &openflow::GroupStats::total, "Counter of the whole group.")
      .def_property_readonly("packet_count", [](const openflow::GroupStats& g) { return g.total.packet_count; },
                             "Packets through the group.")
      .def_property_readonly("byte_count", [](const openflow::GroupStats& g) { return g.total.byte_count; },
                             "Bytes through the group.")
      .def_readonly("buckets", &openflow::GroupStats::buckets, "One Counter per bucket, in bucket order.")
      .def("__repr__", [](const openflow::GroupStats& g) {
        return "<GroupStats group_id=" + std::to_string(g.group_id) + " packets=" + std::to_string(g.total.packet_count) +
               " buckets=" + std::to_string(g.buckets.size()) + ">";
      });

  py::class_<SwitchStats> ss(m, "SwitchStats", "Counters of libvtap's rules on one switch.");
  ss.def_readonly("flows", &SwitchStats::flows, "FlowStats of every libvtap-owned flow (by cookie).")
      .def_readonly("groups", &SwitchStats::groups, "GroupStats of the groups those flows use.")
      .def("__repr__", [](const SwitchStats& s) {
        return "<SwitchStats " + plural(s.flows.size(), "flow") + ", " + plural(s.groups.size(), "group") + ">";
      });

  py::class_<Connection> conn(
      m, "SwitchConnection",
      "One open OpenFlow connection to one switch. Calls block without holding the GIL; calls from\n"
      "several threads are served one at a time. A context manager: `with transport.connect(...) as c:`\n"
      "closes it.");
  conn.def_property_readonly("target", [](const Connection& c) { return c.impl->target(); },
                             "The target it was opened with.")
      .def_property_readonly("datapath_id", [](const Connection& c) { return c.impl->datapath_id(); },
                             "The switch's datapath id.")
      .def_property_readonly("version", [](const Connection& c) { return c.impl->version(); },
                             "The negotiated OpenFlow Version.")
      .def_property_readonly("is_open", [](const Connection& c) { return c.impl->is_open(); },
                             "False once the switch went away or close() ran.")
      .def("close", [](Connection& c) { c.impl->close(); },
           "Closes the connection; a call in progress in another thread fails with TransportError.")
      .def(
          "read_state",
          [](Connection& c, Arg<IdRange> groups, Arg<IdRange> meters) {
            return c.call([&](SwitchConnection& s) { return s.read_state({groups.value, meters.value}); });
          },
          py::kw_only(), py::arg("groups") = default_group_range, py::arg("meters") = default_meter_range,
          "libvtap's state on the switch as a SwitchPlan: its flows (by cookie) and every group and meter in the "
          "`groups` and `meters` ranges.")
      .def(
          "apply",
          [](Connection& c, const openflow::ChangeSet& change) {
            return c.call([&](SwitchConnection& s) { return s.apply(change); });
          },
          py::arg("change"),
          "Sends a ChangeSet and waits for the switch to confirm it; returns a BundleResult. Raises TransportError "
          "on a refusal (the refused bundle is discarded; install() undoes the rest).")
      .def("stats", [](Connection& c) { return c.call([](SwitchConnection& s) { return s.stats(); }); },
           "SwitchStats: packet/byte counters of libvtap's flows and of their groups' buckets.")
      .def(
          "install",
          [](Connection& c, const SwitchPlan& plan, Arg<IdRange> groups, Arg<IdRange> meters) {
            return c.call([&](SwitchConnection& s) { return s.install(plan, {groups.value, meters.value}); });
          },
          py::arg("plan"), py::kw_only(), py::arg("groups") = default_group_range,
          py::arg("meters") = default_meter_range,
          "Brings the switch to SwitchPlan `plan` with the minimal change and returns an InstallReport. Raises "
          "OwnershipError, sending nothing, when a group or meter it would change is used by another controller. "
          "If the switch refuses any part, everything already sent is undone and TransportError is raised.")
      .def("__enter__", [](Connection& c) -> Connection& { return c; }, py::return_value_policy::reference,
           "Returns the connection itself.")
      .def(
          "__exit__",
          [](Connection& c, const ExcTypeArg&, const ExcValueArg&, const TracebackArg&) {
            c.impl->close();
            return false;
          },
          py::arg("exc_type"), py::arg("exc_value"), py::arg("traceback"), "Closes the connection.")
      .def("__repr__", [](const Connection& c) {
        return "<SwitchConnection " + c.impl->target() + (c.impl->is_open() ? "" : " (closed)") + ">";
      });

  py::class_<Transport, std::shared_ptr<Transport>> transport(
      m, "Transport", "Opens SwitchConnections; one Transport may serve many switches (and threads) at once.");
  transport.def_property_readonly("name", [](const Transport& t) { return std::string(t.name()); },
                                  "'native' or 'openvswitch'.");
  // Not py::keep_alive<0, 1>: pybind11 3.1 runs its post-call hook also when the arguments do
  // not convert, on an invalid result (a crash).
  const auto connect =
      with_session_options<std::unique_ptr<Connection>, const std::shared_ptr<Transport>&, const std::string&>(
          [](const std::shared_ptr<Transport>& t, const std::string& target,
             const openflow::SessionOptions& options) {
            auto connection = std::make_unique<Connection>();
            connection->transport = t;
            {
              py::gil_scoped_release release;
              connection->impl = t->connect(target, options);
            }
            return connection;
          });
  static const std::string connect_doc =
      std::string("Connects to `target` ('tcp:IP[:PORT]', 'ssl:IP[:PORT]', 'unix:PATH'), negotiates the version and "
                  "reads the datapath id; returns a SwitchConnection. Raises ParseError for a bad target, "
                  "TransportError when the switch cannot be reached or shares no version.\n\n") +
      session_arguments_doc;
  std::apply(
      [&](auto... options) {
        transport.def("connect", connect, py::arg("target"), py::kw_only(), options..., connect_doc.c_str());
      },
      session_arguments());
  transport.def("__repr__", [](const Transport& t) { return "<Transport " + std::string(t.name()) + ">"; });

  m.def(
      "native_transport", [] { return make_native_transport(); },
      "The native transport: libvtap's own OpenFlow codec over Boost.Asio, on one I/O thread it owns.");
#ifdef VTAP_WITH_OPENVSWITCH
  m.def(
      "openvswitch_transport", [] { return make_openvswitch_transport(); },
      "The libopenvswitch transport: Open vSwitch's own vconn and ofputil encoders, installing the same state "
      "as native_transport(). Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH).");
  m.attr("HAVE_OPENVSWITCH") = true;
#else
  m.attr("HAVE_OPENVSWITCH") = false;
#endif
}

}  // namespace vtap::python
