#pragma once
/// @file
/// Prometheus exposition (text format 0.0.4) of the service's counters, and the apply
/// latency histogram the API fills (docs/api.md, "Metrics").

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "libvtap/service/controller.hpp"

namespace vtap::api {

/// How long policy changes take to apply, as a Prometheus histogram. Thread-safe.
class LatencyHistogram {
 public:
  /// Upper bounds in seconds of the buckets (the last, +Inf, is implicit).
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe(std::chrono::nanoseconds took);

  struct Snapshot {
    std::array<std::uint64_t, bounds.size() + 1> buckets{};  ///< Not cumulative; last: +Inf.
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

/// Everything one scrape shows. Switch and histogram series are left out for a tenant.
struct MetricsInput {
  std::vector<TapPolicy> policies;                  ///< The caller's policies.
  std::vector<std::uint32_t> inactive;              ///< Ids of those that do not resolve now.
  std::map<std::uint32_t, PolicyStats> stats;
  std::vector<SwitchStatus> switches;               ///< Empty for a tenant.
  std::optional<LatencyHistogram::Snapshot> apply_latency;
};

/// The exposition text: `vtap_policy_packets_total{policy="1",tenant="t1",name="web"} 42` ...
std::string format_metrics(const MetricsInput& in);

/// `value` as a Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(const std::string& value);

}  // namespace vtap::api
