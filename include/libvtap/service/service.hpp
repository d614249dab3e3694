#pragma once
/// @file
/// The vTAP application as a long-running library object (paper §III, docs/design.md §6): it owns
/// the policy set, keeps every switch holding exactly the plan while policies change and
/// switches restart, and reports per-policy counters.
///
/// Every change is validated against the topology and the caller's tenant before anything
/// is sent, then applied make-before-break (transition.hpp) across switches, each switch's
/// step in one atomic bundle. A switch that refuses any step puts every switch back as it
/// was and the change throws, naming the policy. A switch that cannot be reached does not
/// stop a change: it is repaired when it comes back (reconcile()). Rules not owned by
/// libvtap (by cookie) are never touched.
///
/// All member functions are thread-safe. Event handlers run on the calling thread (or the
/// watchdog's), after the change, outside the service's lock.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libvtap/model/policy.hpp"
#include "libvtap/service/controller.hpp"
#include "libvtap/service/policy_store.hpp"
#include "libvtap/model/topology.hpp"
#include "libvtap/translate/explain.hpp"
#include "libvtap/translate/translator.hpp"
#include "libvtap/transport/transport.hpp"

namespace vtap {

struct ServiceOptions {
  TranslatorOptions translator;
  openflow::SessionOptions session;
  std::shared_ptr<PolicyStore> store;  ///< Null: policies live in memory only.
};

class Service final : public Controller {
 public:
  /// `targets`: how to reach each switch, by name (e.g. `{"s1", "unix:/run/ovs/s1.mgmt"}`).
  /// Loads the store's policies (ids kept); connects nothing until reconcile(), start() or a
  /// change (then the switches it touches). Throws ParseError for a corrupt store.
  Service(Topology topology, std::map<std::string, std::string> targets, std::shared_ptr<Transport> transport,
          ServiceOptions options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// Adds a policy (id 0: one more than the highest id this service has seen, so the id of
  /// a removed policy is not handed out again while it runs) and applies it; returns its id.
  /// Throws PolicyError (invalid), AccessError (not the caller's tenant, or a VM of another
  /// tenant) or TransportError (a switch refused it); on a throw nothing changed anywhere.
  std::uint32_t add(TapPolicy policy, const Caller& caller = Caller::administrator()) override;
  /// Replaces the policy with the same id. Throws like add(), or NotFoundError for an id
  /// that does not exist or is not the caller's.
  void modify(TapPolicy policy, const Caller& caller = Caller::administrator()) override;
  /// Removes a policy and its rules. Throws NotFoundError like modify().
  void remove(std::uint32_t id, const Caller& caller = Caller::administrator()) override;
  /// The caller's policies (all for an administrator), by id.
  std::vector<TapPolicy> list(const Caller& caller = Caller::administrator()) const override;
  std::optional<TapPolicy> get(std::uint32_t id, const Caller& caller = Caller::administrator()) const override;
  /// Ids of policies that do not resolve in the current topology (kept, not installed).
  std::vector<std::uint32_t> inactive() const override;

  /// Replaces the topology (a VM moved, a switch or monitor appeared or went away) and
  /// moves every switch to the new plan. `targets` adds or replaces switch targets.
  void set_topology(Topology topology, std::map<std::string, std::string> targets = {});

  /// Connects switches that are not connected, reads every connected switch's state and
  /// repairs what differs from the plan. Returns the number of modifications sent.
  std::size_t reconcile();
  /// Runs reconcile() every `interval` on a background thread until stop().
  void start(std::chrono::milliseconds interval = std::chrono::seconds(1));
  void stop();

  /// Per-policy counters from the reachable switches' flow and group-bucket statistics.
  std::map<std::uint32_t, PolicyStats> stats() override;
  /// The plan every switch should hold now.
  Plan plan() const;
  /// Names of the switches with an open connection.
  std::vector<std::string> connected() const;
  /// Every switch with a target, by name.
  std::vector<SwitchStatus> switches() const override;
  /// The topology the service plans for now.
  Topology topology() const override;
  /// Who gets a copy of `packet` and why (explain.hpp), told from the caller's policies only.
  Explanation explain(const Match& packet, const Caller& caller = Caller::administrator()) const override;

  /// Registers a handler for every event (also those raised before it was registered and
  /// not yet delivered, such as policy_inactive from the store). Handlers stay for the
  /// service's life.
  void on_event(std::function<void(const ServiceEvent&)> handler) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtap
