#pragma once
/// @file
/// What a front end (the HTTP API, the TaaS endpoints) needs of whatever holds the policy
/// set: a Service, which programs every switch itself, or a ClusterController, which keeps
/// the policies in a clustered database for the agents of the compute nodes to install
/// (docs/design.md §6.7). Also the types both speak: callers, events, counters, switch status.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libvtap/model/match.hpp"
#include "libvtap/model/policy.hpp"
#include "libvtap/model/topology.hpp"
#include "libvtap/service/policy_stats.hpp"
#include "libvtap/translate/explain.hpp"

namespace vtap {

/// Who asks for a change: an administrator may touch every policy; anyone else only the
/// policies of their tenant, whose sender, receiver and monitor are all in that tenant.
struct Caller {
  std::string tenant;
  bool admin = false;
  static Caller administrator() { return Caller{"", true}; }
  static Caller of_tenant(std::string tenant) { return Caller{std::move(tenant), false}; }
};

/// Something the service did or saw.
struct ServiceEvent {
  enum class Kind : std::uint8_t {
    applied,              ///< A policy change is on every reachable switch.
    failed,               ///< A change or repair failed; `detail` has the switch's error.
    switch_connected,     ///< A switch (re)connected; the call that connected it brings it to the plan.
    switch_disconnected,  ///< A switch went away; it is repaired when it comes back.
    drift_repaired,       ///< reconcile() found a switch holding something else than the plan
                          ///< (changed by someone, or restarted empty) and fixed it.
    policy_inactive,      ///< After a topology change a policy no longer resolves.
    policy_active,        ///< After a topology change an inactive policy resolves again.
    topology_changed,     ///< set_topology() replaced the topology; `detail` says what moved.
  };
  Kind kind = Kind::applied;
  std::string switch_name;               ///< Empty for events not about one switch.
  std::optional<std::uint32_t> policy_id;
  std::string tenant;                    ///< The tenant of policy_id's policy, if any.
  std::string detail;                    ///< Human-readable: what changed, or the error.
};
std::string to_string(ServiceEvent::Kind kind);

/// What the service knows of one switch it manages.
struct SwitchStatus {
  std::string name;
  std::string target;                      ///< How it is reached, e.g. `unix:/run/ovs/s1.mgmt`.
  bool connected = false;
  std::string version;                     ///< Negotiated OpenFlow version, while connected.
  std::uint64_t reconciliations = 0;       ///< reconcile() passes that read this switch.
  std::uint64_t repairs = 0;               ///< Of those, the ones that found drift and fixed it.
  /// When reconcile() last read the switch (and repaired it if needed).
  std::optional<std::chrono::system_clock::time_point> last_reconciliation;
  std::string last_error;                  ///< The last failure or disconnection; empty if none.
};

/// The policy set as a front end sees it. Implementations are thread-safe.
class Controller {
 public:
  virtual ~Controller() = default;
  /// Adds a policy (id 0: the next id) and returns its id. Throws PolicyError (invalid),
  /// AccessError (not the caller's), TransportError (refused); on a throw nothing changed.
  virtual std::uint32_t add(TapPolicy policy, const Caller& caller = Caller::administrator()) = 0;
  /// Replaces the policy with the same id; throws like add(), or NotFoundError.
  virtual void modify(TapPolicy policy, const Caller& caller = Caller::administrator()) = 0;
  /// Removes a policy; throws NotFoundError for an id that is not the caller's.
  virtual void remove(std::uint32_t id, const Caller& caller = Caller::administrator()) = 0;
  /// The caller's policies (all for an administrator), by id.
  virtual std::vector<TapPolicy> list(const Caller& caller = Caller::administrator()) const = 0;
  virtual std::optional<TapPolicy> get(std::uint32_t id, const Caller& caller = Caller::administrator()) const = 0;
  /// Ids of policies that do not resolve in the current topology (kept, not installed).
  virtual std::vector<std::uint32_t> inactive() const = 0;
  /// Per-policy counters.
  virtual std::map<std::uint32_t, PolicyStats> stats() = 0;
  virtual std::vector<SwitchStatus> switches() const = 0;
  virtual Topology topology() const = 0;
  /// Who gets a copy of `packet` and why, told from the caller's policies only.
  virtual Explanation explain(const Match& packet, const Caller& caller = Caller::administrator()) const = 0;
  /// Registers a handler for every event.
  virtual void on_event(std::function<void(const ServiceEvent&)> handler) = 0;
  /// Returns once the last change of policy `id` is applied on every switch it touches.
  /// A Service applies changes before they return, so it returns at once; a cluster waits
  /// for its nodes, and throws UnavailableError when `timeout` passes first.
  virtual void wait_applied(std::uint32_t id, std::chrono::milliseconds timeout) {
    (void)id;
    (void)timeout;
  }
};

/// Throws AccessError unless `caller` may hold `policy`: an administrator, or the policy's
/// tenant when its sender, receiver and monitor (those found in `topology`) are all theirs.
void check_access(const Topology& topology, const TapPolicy& policy, const Caller& caller);
/// `explanation` as `caller` may see it: only their policies and the copies they cause.
/// Throws AccessError when the packet's sender is another tenant's VM.
Explanation visible_to(Explanation explanation, const Topology& topology,
                       const std::function<bool(std::uint32_t)>& callers_policy, const Caller& caller);

}  // namespace vtap
