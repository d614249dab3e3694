#pragma once
/// @file
/// The agent of one compute node in a scaled-out deployment (docs/design.md §6.7): like
/// ovn-controller, it publishes its node to the clustered VTAP database, follows the
/// policies and every other node there, computes its own switches' part of the plan with
/// the same deterministic translator as every other agent, installs it with the minimal
/// change, repairs its switches when they restart, and reports the generation it applied and
/// its switches' per-policy counters.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "libvtap/native/session.hpp"
#include "libvtap/translate/translator.hpp"
#include "libvtap/transport/transport.hpp"

namespace vtap {

struct AgentOptions {
  std::string database;  ///< The cluster's remotes, e.g. `tcp:A:6641,tcp:B:6641,tcp:C:6641`.
  std::string ovsdb;     ///< The node's own Open_vSwitch database, e.g. `unix:/run/openvswitch/db.sock`.
  /// The node's name in the cluster; "" takes external_ids:hostname (else system-id) of the
  /// node's Open_vSwitch row. It may not contain '.'.
  std::string name;
  std::map<std::string, std::string> switches;  ///< Bridge → OpenFlow target, e.g. `br-int` → `unix:...mgmt`.
  TranslatorOptions translator;                 ///< The same on every agent and vtapd of a cluster.
  openflow::SessionOptions session;
  std::shared_ptr<Transport> transport;         ///< Null: the native transport.
  /// How often the switches are read back and repaired when nothing else happens.
  std::chrono::milliseconds reconcile_interval{1000};
  /// How often the switches' counters are read and, when they changed, written to the node's
  /// Node_Status for the vtapds to sum; 0: never.
  std::chrono::milliseconds stats_interval{5000};
  std::function<void(const std::string&)> log;  ///< One line per thing done; may be null.
};

/// What the agent has done so far.
struct AgentCounters {
  std::uint64_t applied_generation = 0;  ///< The last generation all its switches hold.
  std::uint64_t modifications = 0;       ///< OpenFlow modifications sent, all switches.
  std::uint64_t passes = 0;              ///< Installs run (changes and reconciliations).
};

class Agent {
 public:
  /// Throws UsageError-like Error for bad options (no switch, a name with '.').
  explicit Agent(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Runs until stop(): publishes the node, then installs on every change and every
  /// reconcile_interval. Throws Error when the node's own database does not answer.
  void run();
  /// Makes run() return; callable from any thread or a signal handler's flag poller.
  void stop() noexcept;
  AgentCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtap
