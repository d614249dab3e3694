#pragma once
// vtapctl's parsed command line, shared by its command implementations.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "libvtap/native/session.hpp"
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
  vtap::TranslatorOptions translator;
  vtap::openflow::SessionOptions session;
  std::string transport = "native";    // --transport native|openvswitch
  std::vector<std::string> databases;  // --db REMOTE (discover; serve: live topology)
  std::optional<std::string> listen;                           // serve: --listen ADDR:PORT
  std::optional<std::filesystem::path> tokens, tls_cert, tls_key;  // serve
  std::optional<std::string> server, token;                    // clients: --server URL, --token
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
// serve's unix socket: --unixctl, else FILE.ctl of --state.
std::filesystem::path socket_path(const Options& o);
// `vtapctl discover` (discover_command.cpp). Exit status.
int discover(const Options& o);
