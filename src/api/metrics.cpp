#include "libvtap/api/metrics.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace vtap::api {

void LatencyHistogram::observe(std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  buckets_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(took.count(), 0)), std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  for (std::size_t i = 0; i < buckets_.size(); ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  s.count = count_.load(std::memory_order_relaxed);
  s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

std::string label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

namespace {

void family(std::ostream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

std::string format_metrics(const MetricsInput& in) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  const std::set<std::uint32_t> inactive(in.inactive.begin(), in.inactive.end());
  auto labels = [](const TapPolicy& p) {
    return "{policy=\"" + std::to_string(p.id) + "\",tenant=\"" + label_value(p.tenant) + "\",name=\"" +
           label_value(p.name) + "\"}";
  };

  family(out, "vtap_policy_active", "gauge", "1 when the policy resolves in the topology and is installed, else 0.");
  for (const auto& p : in.policies) out << "vtap_policy_active" << labels(p) << ' ' << (inactive.contains(p.id) ? 0 : 1) << '\n';
  const struct {
    const char* name;
    const char* help;
    std::uint64_t PolicyStats::*field;
  } counters[] = {
      {"vtap_policy_packets_total", "Packets that matched the policy's rules.", &PolicyStats::packets},
      {"vtap_policy_bytes_total", "Bytes of the packets that matched the policy's rules.", &PolicyStats::bytes},
      {"vtap_policy_copies_total", "Copies sent toward the policy's monitor or tunnel.", &PolicyStats::copies},
      {"vtap_policy_copy_bytes_total", "Bytes of those copies.", &PolicyStats::copy_bytes},
  };
  for (const auto& c : counters) {
    family(out, c.name, "counter", c.help);
    for (const auto& p : in.policies)
      if (auto it = in.stats.find(p.id); it != in.stats.end()) out << c.name << labels(p) << ' ' << it->second.*c.field << '\n';
  }

  if (!in.switches.empty()) {
    family(out, "vtap_switch_connected", "gauge", "1 while the switch's OpenFlow connection is open, else 0.");
    for (const auto& s : in.switches)
      out << "vtap_switch_connected{switch=\"" << label_value(s.name) << "\"} " << (s.connected ? 1 : 0) << '\n';
    family(out, "vtap_switch_reconciliations_total", "counter", "Reconciliation passes that read the switch.");
    for (const auto& s : in.switches)
      out << "vtap_switch_reconciliations_total{switch=\"" << label_value(s.name) << "\"} " << s.reconciliations << '\n';
    family(out, "vtap_switch_repairs_total", "counter", "Reconciliations that found drift on the switch and repaired it.");
    for (const auto& s : in.switches)
      out << "vtap_switch_repairs_total{switch=\"" << label_value(s.name) << "\"} " << s.repairs << '\n';
  }

  if (in.apply_latency) {
    const auto& h = *in.apply_latency;
    family(out, "vtap_apply_duration_seconds", "histogram", "Time from an API change request to the change on every reachable switch.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < LatencyHistogram::bounds.size(); ++i) {
      cumulative += h.buckets[i];
      out << "vtap_apply_duration_seconds_bucket{le=\"" << LatencyHistogram::bounds[i] << "\"} " << cumulative << '\n';
    }
    out << "vtap_apply_duration_seconds_bucket{le=\"+Inf\"} " << h.count << '\n';
    out << "vtap_apply_duration_seconds_sum " << h.sum_seconds << '\n';
    out << "vtap_apply_duration_seconds_count " << h.count << '\n';
  }
  return out.str();
}

}  // namespace vtap::api
