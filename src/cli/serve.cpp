// vtapctl serve (vtapd): a Service with a state file, managed through the HTTP API of
// libvtap::api over its unix socket and, with --listen, over TCP; with --db, its topology
// follows the Open vSwitch databases live.

#include <csignal>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>

#include "libvtap/api/http_server.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/native/native_transport.hpp"
#include "libvtap/service/service.hpp"
#include "options.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/discovery.hpp"
#endif

namespace {

using namespace vtap;

volatile std::sig_atomic_t stop_flag = 0;
extern "C" void request_stop(int) { stop_flag = 1; }

std::string now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return s.str();
}


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

void print(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cout << now() << " " << line << std::endl;
}

bool stop_requested() { return stop_flag != 0; }

void handle_stop_signals() {
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGPIPE, SIG_IGN);
}

std::filesystem::path socket_path(const Options& o) {
  if (o.unixctl) return *o.unixctl;
  if (o.state) return o.state->string() + ".ctl";
  throw UsageError(o.command + ": give --unixctl=PATH or --state=FILE of the running serve");
}

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

int serve_api(const Options& o, Controller& controller, std::optional<std::filesystem::path> taas_store,
              const std::function<std::string()>& start, const std::function<void()>& tick) {
  api::EventHub events;
  controller.on_event([&events](const ServiceEvent& e) {
    std::string line = to_string(e.kind);
    if (!e.switch_name.empty()) line += " " + e.switch_name;
    if (e.policy_id) line += " policy " + std::to_string(*e.policy_id);
    print(line + ": " + e.detail);
    events.publish(e);
  });
  api::Api api(controller, o.tokens ? api::TokenTable::load(*o.tokens) : api::TokenTable(), std::move(taas_store));
  api::ServerOptions server_options;
  server_options.listen = o.listen;
  server_options.tls_cert = o.tls_cert;
  server_options.tls_key = o.tls_key;
  server_options.unix_socket = socket_path(o);
  server_options.access_log = print;
  api::HttpServer server(api, events, server_options);
  handle_stop_signals();
  const std::string what = start();
  server.start();
  std::string where = "control socket " + server_options.unix_socket->string();
  if (o.listen) where += "; API on " + std::string(o.tls_cert ? "https://" : "http://") + server.tcp_address();
  print("serving " + what + "; " + where);
  while (!stop_requested()) tick();
  server.stop();
  print("stopped");
  return 0;
}
