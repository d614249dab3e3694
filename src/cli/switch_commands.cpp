// vtapctl apply / dump: talk to switches through a Transport, every switch on its own thread.

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include "libvtap/transport/transport.hpp"
#include "libvtap/native/native_transport.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/transport.hpp"
#endif
#include "options.hpp"

namespace {

using namespace vtap;

struct Named {
  std::string name;
  std::string target;
};

std::vector<Named> parse_switches(const Options& o) {
  if (o.switches.empty()) throw UsageError(o.command + ": give at least one --switch NAME=TARGET");
  std::vector<Named> out;
  std::map<std::string, bool> seen;
  for (const auto& [name, target] : o.switches) {
    if (seen[name]) throw UsageError("--switch: " + name + " given twice");
    seen[name] = true;
    openflow::Target::parse(target);  // a bad target is a usage error before anything connects
    out.push_back(Named{name, target});
  }
  return out;
}

std::string describe(const SwitchConnection& c) {
  char dpid[20];
  std::snprintf(dpid, sizeof dpid, "%016llx", static_cast<unsigned long long>(c.datapath_id()));
  return c.target() + ", " + std::string(openflow::to_string(c.version())) + ", dpid " + dpid;
}

// Runs `work(name, connection, out)` for every switch in parallel; prints each switch's
// output whole, in the order given; returns the exit status.
template <class Work>
int for_each_switch(const Options& o, Work work) {
  const auto switches = parse_switches(o);
  std::shared_ptr<Transport> transport;
  if (o.transport == "native") {
    transport = make_native_transport();
  } else {
#ifdef VTAP_WITH_OPENVSWITCH
    transport = make_openvswitch_transport();
#else
    throw UsageError("--transport=openvswitch: this vtapctl was built without libopenvswitch");
#endif
  }
  std::vector<std::future<std::pair<bool, std::string>>> results;
  for (const auto& sw : switches)
    results.push_back(std::async(std::launch::async, [&, sw]() -> std::pair<bool, std::string> {
      std::ostringstream out;
      try {
        auto connection = transport->connect(sw.target, o.session);
        work(sw.name, *connection, out);
        return {true, out.str()};
      } catch (const Error& e) {
        return {false, out.str() + "vtapctl: " + sw.name + ": " + e.what() + "\n"};
      }
    }));
  int status = 0;
  for (auto& r : results) {
    auto [ok, text] = r.get();
    (ok ? std::cout : std::cerr) << text;
    if (!ok) status = 1;
  }
  return status;
}

}  // namespace

int apply(const Options& o, const Plan& plan) {
  std::map<std::string, bool> named;
  for (const auto& [name, target] : o.switches) named[name] = true;
  for (const auto& [name, sp] : plan.switches)
    if (!named.contains(name))
      std::cerr << "vtapctl: note: " << name << " needs " << sp.flows.size() << " flows but no --switch was given for it\n";
  return for_each_switch(o, [&](const std::string& name, SwitchConnection& c, std::ostream& out) {
    auto found = plan.switches.find(name);
    const SwitchPlan want = found == plan.switches.end() ? SwitchPlan{} : found->second;
    const auto start = std::chrono::steady_clock::now();
    const auto report = c.install(want, vtap::ownership(o.translator));
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f ms", ms);
    out << name << " (" << describe(c) << "): " << report.change.summary() << " in " << report.bundle.bundles
        << (report.bundle.bundles == 1 ? " bundle" : " bundles") << " (" << took << ")\n";
  });
}

int dump(const Options& o) {
  return for_each_switch(o, [&](const std::string& name, SwitchConnection& c, std::ostream& out) {
    const SwitchPlan state = c.read_state(vtap::ownership(o.translator));
    out << name << " (" << describe(c) << "):\n";
    for (const auto& m : state.meters) out << " " << m.to_string() << "\n";
    for (const auto& g : state.groups) out << " " << g.to_string() << "\n";
    for (const auto& f : state.flows) out << " " << f.to_string() << "\n";
  });
}
