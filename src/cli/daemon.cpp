// What every vtapctl daemon shares (serve, serve --store, agent): timestamped lines on
// stdout, SIGINT/SIGTERM as a flag, the control socket's path, and serving a Controller over
// the HTTP API of libvtap::api.

#include <csignal>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>

#include "libvtap/api/http_server.hpp"
#include "options.hpp"

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
