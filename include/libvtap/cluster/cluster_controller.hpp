#pragma once
/// @file
/// vtapd's controller when policies live in a clustered VTAP database (`vtapctl serve
/// --store ovsdb:...`, docs/design.md §6.7): a stateless front for the API. Several may serve
/// one database at once. Writes are validated against the global topology the agents
/// publish, then committed with optimistic concurrency on the global generation (a write
/// based on a stale view fails in the database and is retried on a fresh one), so ids and
/// marks are never handed out twice. Every vtapd also moves changes through their phases
/// (cluster_view.hpp) once the nodes they touch acknowledge, so a change finishes even when
/// the vtapd that started it goes away. Policies are read after a round trip to the leader,
/// so a client sees its own writes through any vtapd.
#include <chrono>
#include <memory>
#include <string>

#include "libvtap/service/controller.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap {

struct ClusterOptions {
  std::string database;           ///< The cluster's remotes, e.g. `tcp:A:6641,tcp:B:6641,tcp:C:6641`.
  TranslatorOptions translator;   ///< The same as the agents'.
  /// How long a write may take (retries across leader elections included).
  std::chrono::milliseconds timeout{30000};
};

class ClusterController final : public Controller {
 public:
  /// Connects in the background; connect() waits for the database.
  explicit ClusterController(ClusterOptions options);
  ~ClusterController() override;

  /// Waits until the database answers and initialises it when empty. Throws
  /// UnavailableError when it does not answer within `timeout`.
  void connect(std::chrono::milliseconds timeout);

  std::uint32_t add(TapPolicy policy, const Caller& caller = Caller::administrator()) override;
  void modify(TapPolicy policy, const Caller& caller = Caller::administrator()) override;
  void remove(std::uint32_t id, const Caller& caller = Caller::administrator()) override;
  std::vector<TapPolicy> list(const Caller& caller = Caller::administrator()) const override;
  std::optional<TapPolicy> get(std::uint32_t id, const Caller& caller = Caller::administrator()) const override;
  std::vector<std::uint32_t> inactive() const override;
  /// The counters each node's agent last published (AgentOptions::stats_interval), summed.
  std::map<std::uint32_t, PolicyStats> stats() override;
  /// Every node's switches; `connected` is true while the node reports no error.
  std::vector<SwitchStatus> switches() const override;
  Topology topology() const override;
  Explanation explain(const Match& packet, const Caller& caller = Caller::administrator()) const override;
  void on_event(std::function<void(const ServiceEvent&)> handler) override;
  /// Waits until policy `id` is settled and every node it touches applied it (a removed
  /// policy: until its copies stopped everywhere and its row is gone).
  void wait_applied(std::uint32_t id, std::chrono::milliseconds timeout) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtap
