// vtapctl serve (vtapd): a Service with a state file, managed through the HTTP API
// (daemon.cpp); with --db, its topology follows the Open vSwitch databases live; with
// --store ovsdb:, a cluster's vtapd instead (cluster_commands.cpp).

#include <thread>

#include "libvtap/model/json.hpp"
#include "libvtap/native/native_transport.hpp"
#include "libvtap/service/service.hpp"
#include "options.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/discovery.hpp"
#endif

namespace {

using namespace vtap;

#ifdef VTAP_WITH_OPENVSWITCH
// --db: the topology of the databases, kept live; nullopt without --db.
std::optional<TopologyWatch> watch_databases(const Options& o, Service*& service) {
  if (o.databases.empty()) return std::nullopt;
  DiscoveryOptions options;
  options.timeout = o.session.request_timeout;
  return std::optional<TopologyWatch>(std::in_place, o.databases, [&service](const Topology& now, const std::vector<HostChange>&) {
    if (service) service->set_topology(now);
  }, options);
}
#endif

}  // namespace

int serve(const Options& o) {
  if (o.listen && !o.tokens) throw UsageError("serve: --listen needs --tokens FILE (who may use the API)");
  if (o.store) {
    if (!o.store->starts_with("ovsdb:") || o.store->size() == 6)
      throw UsageError("serve: --store: expected ovsdb:REMOTES, e.g. ovsdb:tcp:10.0.0.1:6641,tcp:10.0.0.2:6641");
    if (o.topology || !o.databases.empty() || !o.switches.empty())
      throw UsageError("serve: with --store the topology and switches come from the cluster's agents "
                       "(no --topology, --db or --switch)");
    return serve_cluster(o, o.store->substr(6));
  }
  if (!o.state) throw UsageError("serve: --state is required");
  if (o.topology.has_value() == !o.databases.empty())
    throw UsageError("serve: give --topology FILE or --db REMOTE (one per compute node), not both");
  std::map<std::string, std::string> targets;
  for (const auto& [name, target] : o.switches) {
    openflow::Target::parse(target);
    if (!targets.emplace(name, target).second) throw UsageError("--switch: " + name + " given twice");
  }
  [[maybe_unused]] Service* live_service = nullptr;  // the --db watch's target, once it exists
  Topology topology;
#ifdef VTAP_WITH_OPENVSWITCH
  auto watch = watch_databases(o, live_service);
  topology = watch ? watch->topology() : load_topology(*o.topology);
#else
  if (!o.databases.empty()) throw UsageError("serve: --db needs a vtapctl built with libopenvswitch");
  topology = load_topology(*o.topology);
#endif
  ServiceOptions options{o.translator, o.session, make_file_store(*o.state)};
  Service service(std::move(topology), targets, make_native_transport(), options);
  auto start = [&] {
    service.reconcile();
    service.start(std::chrono::milliseconds(o.interval_ms));
    return std::to_string(service.list().size()) + " policies on " + std::to_string(targets.size()) + " switches";
  };
  const int status = serve_api(o, service, std::filesystem::path(o.state->string() + ".taas"), start, [&] {
    live_service = &service;
#ifdef VTAP_WITH_OPENVSWITCH
    if (watch) {
      try {
        watch->poll(std::chrono::milliseconds(200));
      } catch (const Error& e) {
        print(std::string("failed: topology: ") + e.what());
      }
      return;
    }
#endif
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  live_service = nullptr;
  service.stop();
  return status;
}
