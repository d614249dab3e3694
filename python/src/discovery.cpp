// OVSDB topology discovery: discover_topology(), HostChange, host_changes() and TopologyWatch.
// Only builds with libopenvswitch (VTAP_WITH_OPENVSWITCH) can discover; without it the same
// names exist, with the same signatures, and raise vtap.Error saying so. Every call that waits
// on a database releases the GIL; on_change takes it back to run Python code.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include <libvtap/model/error.hpp>
#include <libvtap/model/topology.hpp>
#include <libvtap/openvswitch/discovery.hpp>  // the types only: nothing of it is called without libopenvswitch

#include "bindings.hpp"
#include "session.hpp"

namespace vtap::python {
namespace {

using Databases = std::vector<std::string>;
using OnChange = py::typing::Callable<void(const Topology&, const std::vector<HostChange>&)>;

const double default_timeout = seconds_of(DiscoveryOptions{}.timeout);

/// `timeout` seconds as DiscoveryOptions/poll() take them; ValueError unless 0 <= s <= 1e15
/// (beyond, the milliseconds would not fit).
std::chrono::milliseconds timeout_of(double s) {
  if (s > 1e15) throw py::value_error("timeout must be a number of seconds <= 1e15");
  return seconds(s, "timeout");
}

std::string kind_name(HostChange::Kind k) {
  switch (k) {
    case HostChange::Kind::added: return "added";
    case HostChange::Kind::removed: return "removed";
    case HostChange::Kind::moved: return "moved";
  }
  return "?";
}

// TopologyWatch serves one thread at a time; Python threads may share one, so poll() calls are
// serialised here, with the GIL released before the lock is taken (the thread in poll() takes
// the GIL back for on_change while holding the lock). `polling` is the thread inside poll(),
// so that on_change may read .topology (which poll() is not changing then) without the lock.
struct Watch {
  Databases databases;
#ifdef VTAP_WITH_OPENVSWITCH  // else never made, and ~TopologyWatch() is not there to link
  std::unique_ptr<TopologyWatch> impl;
#endif
  std::mutex mutex;
  std::atomic<std::thread::id> polling{};

  bool in_callback() const { return polling.load() == std::this_thread::get_id(); }
};

#ifdef VTAP_WITH_OPENVSWITCH

/// on_change as a std::function that may be copied, called and destroyed on any thread: it
/// takes the GIL to call, and the callable is released with the GIL held. An exception it
/// raises propagates out of TopologyWatch::poll() (and so out of TopologyWatch.poll()).
TopologyWatch::Callback callback_of(OnChange f) {
  auto held = std::shared_ptr<py::function>(new py::function(std::move(f)), [](py::function* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
  return [held](const Topology& now, const std::vector<HostChange>& changes) {
    py::gil_scoped_acquire gil;
    (*held)(now, changes);
  };
}

Topology discover(const Databases& databases, std::chrono::milliseconds timeout) {
  py::gil_scoped_release release;
  return discover_topology(databases, DiscoveryOptions{timeout});
}

std::vector<HostChange> changes_between(const Topology& before, const Topology& after) {
  return host_changes(before, after);
}

std::unique_ptr<Watch> open_watch(Databases databases, OnChange on_change, std::chrono::milliseconds timeout) {
  auto w = std::make_unique<Watch>();
  w->databases = databases;
  auto callback = callback_of(std::move(on_change));
  py::gil_scoped_release release;
  w->impl = std::make_unique<TopologyWatch>(std::move(databases), std::move(callback), DiscoveryOptions{timeout});
  return w;
}

bool poll(Watch& w, std::chrono::milliseconds timeout) {
  if (w.in_callback()) throw Error("TopologyWatch.poll() called from its own on_change callback");
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(w.mutex);
  struct Polling {
    Watch& watch;
    explicit Polling(Watch& polled) : watch(polled) { watch.polling = std::this_thread::get_id(); }
    ~Polling() { watch.polling = std::thread::id(); }
  } polling(w);
  return w.impl->poll(timeout);
}

Topology topology_of(Watch& w) {
  if (w.in_callback()) return w.impl->topology();
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(w.mutex);
  return w.impl->topology();
}

#else

[[noreturn]] void unavailable(const char* what) {
  throw Error(std::string(what) +
              ": this vtap was built without libopenvswitch (VTAP_WITH_OPENVSWITCH=OFF, vtap.HAVE_OPENVSWITCH "
              "is False), which OVSDB discovery needs");
}

Topology discover(const Databases&, std::chrono::milliseconds) { unavailable("discover_topology"); }

std::vector<HostChange> changes_between(const Topology&, const Topology&) { unavailable("host_changes"); }

std::unique_ptr<Watch> open_watch(Databases, OnChange, std::chrono::milliseconds) { unavailable("TopologyWatch"); }

bool poll(Watch&, std::chrono::milliseconds) { unavailable("TopologyWatch.poll"); }

Topology topology_of(Watch&) { unavailable("TopologyWatch.topology"); }

#endif

}  // namespace

void init_discovery(py::module_& m) {
  py::class_<HostChange> change(m, "HostChange",
                                "A VM interface that appeared, disappeared or moved between two topologies.");
  py::native_enum<HostChange::Kind>(change, "Kind", "enum.Enum", "What happened to a host.")
      .value("added", HostChange::Kind::added, "A host that was not there before.")
      .value("removed", HostChange::Kind::removed, "A host that is no longer there.")
      .value("moved", HostChange::Kind::moved,
             "A host whose attachment (switch, port) or addresses changed; before has it as it was.")
      .finalize();
  change.def_readonly("kind", &HostChange::kind, "HostChange.Kind.")
      .def_readonly("host", &HostChange::host, "The Host as it is now (as it was, for Kind.removed).")
      .def_readonly("before", &HostChange::before, "For Kind.moved: the Host as it was; else None.")
      .def("__repr__", [](const HostChange& c) {
        return "<HostChange " + kind_name(c.kind) + " " + py::repr(py::cast(c.host)).cast<std::string>() +
               (c.before ? " before " + py::repr(py::cast(*c.before)).cast<std::string>() : "") + ">";
      });
  equality(change);
  change.attr("__hash__") = py::none();

  m.def(
      "discover_topology",
      [](const Databases& databases, double timeout) { return discover(databases, timeout_of(timeout)); },
      py::arg("databases"), py::kw_only(), py::arg("timeout") = default_timeout,
      "Reads the Topology from Open vSwitch databases, one per compute node ('unix:/run/openvswitch/db.sock', "
      "'tcp:IP:6640'): bridges become switches, interfaces with external_ids:attached-mac and an ofport hosts "
      "(named by external_ids:iface-id), patch ports and tunnels between nodes links. With several databases "
      "switches are named NODE.BRIDGE. timeout: seconds to wait for each database. Raises Error naming the "
      "database that does not answer, TopologyError when what it holds is not a valid topology. Only in "
      "builds with libopenvswitch (vtap.HAVE_OPENVSWITCH); elsewhere raises Error.");

  m.def("host_changes", &changes_between, py::arg("before"), py::arg("after"),
        "The HostChanges from Topology `before` to Topology `after`: hosts added, removed or moved, by name, "
        "sorted by name. Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH); elsewhere raises Error.");

  py::class_<Watch> watch(
      m, "TopologyWatch",
      "Keeps replicas of Open vSwitch databases open and reports VM interfaces added, removed or moved:\n"
      "poll() processes what the databases sent and calls on_change(topology, changes) when a host\n"
      "changed. poll() waits without holding the GIL; calls from several threads are served one at a\n"
      "time. Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH); elsewhere raises Error.");
  watch
      .def(py::init([](Databases databases, OnChange on_change, double timeout) {
             return open_watch(std::move(databases), std::move(on_change), timeout_of(timeout));
           }),
           py::arg("databases"), py::arg("on_change"), py::kw_only(), py::arg("timeout") = default_timeout,
           "databases: OVSDB remotes as for discover_topology(); on_change(topology, changes): called by poll() "
           "with the new Topology and the list of HostChanges, its result ignored. Connects and reads the first "
           "topology (.topology), waiting at most `timeout` seconds for each database; raises like "
           "discover_topology().")
      .def(
          "poll", [](Watch& w, double timeout) { return poll(w, timeout_of(timeout)); }, py::arg("timeout"),
          "Processes what the databases sent, waiting at most `timeout` seconds for something; when a host was "
          "added, removed or moved, calls on_change and returns True, else returns False. An exception raised "
          "by on_change propagates (the watch's topology has moved on already).")
      .def_property_readonly("topology", &topology_of, "The Topology as of the last poll() (or the constructor).")
      .def_property_readonly("databases", [](const Watch& w) { return w.databases; }, "The databases watched.")
      .def("__repr__", [](const Watch& w) {
        std::string names;
        for (const auto& d : w.databases) names += (names.empty() ? "" : ", ") + d;
        return "<TopologyWatch " + names + ">";
      });
}

}  // namespace vtap::python
