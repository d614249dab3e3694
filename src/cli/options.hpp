#pragma once
// vtapctl's parsed command line, shared by its command implementations.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <functional>

#include "libvtap/native/session.hpp"
#include "libvtap/service/controller.hpp"
#include "libvtap/translate/translator.hpp"

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string command;
  std::optional<std::filesystem::path> topology, policies, out;
  std::optional<std::string> packet;
  std::vector<std::pair<std::string, std::string>> switches;  // --switch NAME=TARGET
  std::vector<std::string> arguments;                          // after the command (policy ids)
  std::optional<std::filesystem::path> state;                  // serve: the policy store
  std::optional<std::filesystem::path> unixctl;                // serve's control socket
  unsigned interval_ms = 1000;                                 // serve: reconcile period
  unsigned stats_interval_ms = 5000;                           // agent: counters' publication period
  vtap::TranslatorOptions translator;
  vtap::openflow::SessionOptions session;
  std::string transport = "native";    // --transport native|openvswitch
  std::vector<std::string> databases;  // --db REMOTE (discover; serve: live topology)
  std::optional<std::string> listen;                           // serve: --listen ADDR:PORT
  std::optional<std::filesystem::path> tokens, tls_cert, tls_key;  // serve
  std::optional<std::string> server, token;                    // clients: --server URL, --token
  std::optional<std::string> store;                            // serve: --store ovsdb:REMOTES
  std::optional<std::string> ovsdb;                            // agent: the node's own database
  std::string name;                                            // agent: --name NODE
  std::optional<std::filesystem::path> assigned_marks;         // compile/explain/apply: stream marks
  bool wait = false;                                           // add/modify/remove: --wait
};

// Loads topology and policies into a translator; every error names the file.
vtap::Translator load(const Options& o);
// `vtapctl apply` and `vtapctl dump` (switch_commands.cpp). Exit status.
int apply(const Options& o, const vtap::Plan& plan);
int dump(const Options& o);
// `vtapctl serve` and the commands that talk to it: list, add, remove, stats (serve.cpp).
int serve(const Options& o);
// The commands that talk to serve's API: list, stats, add, modify, remove (api_client.cpp).
int control(const Options& o);
// serve's unix socket (daemon.cpp): --unixctl, else FILE.ctl of --state.
std::filesystem::path socket_path(const Options& o);
// `vtapctl discover` (discover_command.cpp). Exit status.
int discover(const Options& o);
// `vtapctl agent` and `vtapctl schema` (cluster_commands.cpp). Exit status.
int agent(const Options& o);
int schema(const Options& o);
// serve --store ovsdb:REMOTES (cluster_commands.cpp): the cluster's vtapd.
int serve_cluster(const Options& o, const std::string& remotes);
// What the daemons share (daemon.cpp): a line on stdout with a timestamp; SIGINT/SIGTERM seen.
void print(const std::string& line);
bool stop_requested();
void handle_stop_signals();
// Serves `controller` over the HTTP API (unix socket, --listen) until SIGINT or SIGTERM:
// prints its events, runs `start` (which says what is served), starts the server, then runs
// `tick` in a loop (it should block for a while, ~200 ms). Exit status.
int serve_api(const Options& o, vtap::Controller& controller, std::optional<std::filesystem::path> taas_store,
              const std::function<std::string()>& start, const std::function<void()>& tick);
