// The scale-out commands (docs/cluster.md): `vtapctl agent`, `vtapctl schema` and the
// cluster's vtapd, `vtapctl serve --store ovsdb:REMOTES`.

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "options.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/cluster/agent.hpp"
#include "libvtap/cluster/cluster_controller.hpp"
#include "libvtap/native/native_transport.hpp"
#include "libvtap/openvswitch/transport.hpp"
#endif

namespace fs = std::filesystem;

int schema(const Options&) {
  // Beside an installed vtapctl (PREFIX/bin → PREFIX/share/libvtap), where it was installed
  // to, or in the source tree of a build that was not installed.
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/libvtap/vtap.ovsschema");
  candidates.emplace_back(VTAP_SCHEMA_INSTALLED);
  candidates.emplace_back(VTAP_SCHEMA_SOURCE);
  for (const fs::path& c : candidates)
    if (fs::exists(c)) {
      std::cout << fs::weakly_canonical(c).string() << "\n";
      return 0;
    }
  std::cerr << "vtapctl: schema: vtap.ovsschema not found (looked in " << candidates.front().string() << ", "
            << VTAP_SCHEMA_INSTALLED << " and " << VTAP_SCHEMA_SOURCE << ")\n";
  return 1;
}

#ifdef VTAP_WITH_OPENVSWITCH

using namespace vtap;

int agent(const Options& o) {
  if (o.databases.size() != 1) throw UsageError("agent: give --db REMOTES once (the cluster, comma-separated)");
  if (!o.ovsdb) throw UsageError("agent: --ovsdb REMOTE (the node's Open vSwitch database) is required");
  if (o.switches.empty()) throw UsageError("agent: give --switch BRIDGE=TARGET for each bridge to program");
  AgentOptions options;
  options.database = o.databases.front();
  options.ovsdb = *o.ovsdb;
  options.name = o.name;
  for (const auto& [bridge, target] : o.switches) {
    openflow::Target::parse(target);
    if (!options.switches.emplace(bridge, target).second) throw UsageError("--switch: " + bridge + " given twice");
  }
  options.translator = o.translator;
  options.session = o.session;
  options.transport = o.transport == "openvswitch" ? make_openvswitch_transport() : make_native_transport();
  options.reconcile_interval = std::chrono::milliseconds(o.interval_ms);
  options.stats_interval = std::chrono::milliseconds(o.stats_interval_ms);
  options.log = print;
  Agent agent(options);
  handle_stop_signals();
  std::atomic<bool> finished{false};  // run() returned, also by a throw
  std::thread stopper([&] {
    while (!stop_requested() && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    agent.stop();
  });
  struct Join {
    std::thread& t;
    std::atomic<bool>& finished;
    ~Join() {
      finished = true;
      t.join();
    }
  } join{stopper, finished};
  agent.run();
  const AgentCounters c = agent.counters();
  print("stopped: applied generation " + std::to_string(c.applied_generation) + ", " +
        std::to_string(c.modifications) + " modifications in " + std::to_string(c.passes) + " passes");
  return 0;
}

int serve_cluster(const Options& o, const std::string& remotes) {
  ClusterOptions options;
  options.database = remotes;
  options.translator = o.translator;
  ClusterController controller(options);
  std::optional<fs::path> taas;
  if (o.state) taas = o.state->string() + ".taas";
  auto start = [&] {
    controller.connect(o.session.request_timeout);
    return std::to_string(controller.list().size()) + " policies of the VTAP database at " + remotes;
  };
  return serve_api(o, controller, taas, start, [] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
}

#else

int agent(const Options&) { throw UsageError("agent: needs a vtapctl built with libopenvswitch"); }
int serve_cluster(const Options&, const std::string&) {
  throw UsageError("serve --store ovsdb: needs a vtapctl built with libopenvswitch");
}

#endif
