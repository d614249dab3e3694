// Translator throughput: compile 100k policies on a 1,000-host, 50-switch topology, and
// add one policy incrementally with 100k installed (targets: >= 1M policies/s, <= 10 us per
// add); and the memory a translator holding N policies takes (BM_Memory/N: run each size in
// a process of its own for its peak RSS, as bench/run does).

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "libvtap/translate/translator.hpp"

namespace {

using namespace vtap;

constexpr int kSwitches = 50;
constexpr int kHosts = 1000;
constexpr int kPolicies = 100'000;

MacAddress host_mac(int n) {
  return MacAddress({0xfa, 0x16, 0x3e, 0, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
}
Ipv4Address host_ip(int n) { return Ipv4Address(0x0a000000U + static_cast<std::uint32_t>(n)); }

// A spine of 50 switches with a few chords, 20 hosts on each.
Topology make_topology() {
  Topology t;
  for (int s = 0; s < kSwitches; ++s)
    t.add_switch(Switch{"s" + std::to_string(s), static_cast<std::uint64_t>(s + 1), std::nullopt, {}});
  std::uint32_t next_port = 1000;
  auto link = [&](int a, int b) {
    t.add_link(Link{PortRef{"s" + std::to_string(a), next_port}, PortRef{"s" + std::to_string(b), next_port + 1}});
    next_port += 2;
  };
  for (int s = 1; s < kSwitches; ++s) link(s - 1, s);
  for (int s = 0; s + 10 < kSwitches; s += 10) link(s, s + 10);
  for (int h = 0; h < kHosts; ++h)
    t.add_host(Host{"vm" + std::to_string(h), host_mac(h), host_ip(h), std::nullopt,
                    "s" + std::to_string(h % kSwitches), static_cast<std::uint32_t>(h + 1), "t1"});
  return t;
}

std::vector<TapPolicy> make_policies(int count, std::uint32_t first_id, unsigned seed) {
  static const std::vector<Match> filters{Match{}, Match::parse("tcp"), Match::parse("tcp,tp_dst=80"),
                                          Match::parse("udp,tp_dst=53"), Match::parse("tcp,tp_dst=443")};
  // Monitors are a small pool (IDS appliances), as in practice: marks are per monitor.
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> host(0, kHosts - 1), monitor(0, 19), filter(0, static_cast<int>(filters.size()) - 1);
  std::vector<TapPolicy> out;
  while (static_cast<int>(out.size()) < count) {
    const int s = host(rng), r = host(rng), m = monitor(rng) * (kHosts / 20) + 7;
    if (s == r || m == s || m == r) continue;
    TapPolicy p;
    p.id = first_id + static_cast<std::uint32_t>(out.size());
    p.sender = Endpoint{host_mac(s), IpAddress(host_ip(s)), false};
    p.receiver = Endpoint{host_mac(r), IpAddress(host_ip(r)), false};
    p.monitor = Endpoint{host_mac(m), std::nullopt, false};
    p.filter = filters[filter(rng)];
    out.push_back(std::move(p));
  }
  return out;
}

void BM_Compile100k(benchmark::State& state) {
  const Topology topo = make_topology();
  const auto policies = make_policies(kPolicies, 1, 1);
  std::size_t flows = 0;
  for (auto _ : state) {
    const Plan plan = translate(topo, policies);
    flows = 0;
    for (const auto& [name, sp] : plan.switches) flows += sp.flows.size();
    benchmark::DoNotOptimize(flows);
  }
  state.SetItemsProcessed(state.iterations() * kPolicies);
  state.counters["flows"] = static_cast<double>(flows);
}
BENCHMARK(BM_Compile100k)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// A diagnostic, not a target: the same policies presented grouped by sender host (ids
// renumbered in that order), so each sender port's closure is built while it is in the cache.
// Its ratio to BM_Compile100k shows how much of a compile waits on memory.
void BM_Compile100kBySender(benchmark::State& state) {
  const Topology topo = make_topology();
  auto policies = make_policies(kPolicies, 1, 1);
  std::stable_sort(policies.begin(), policies.end(),
                   [](const TapPolicy& a, const TapPolicy& b) { return *a.sender.mac < *b.sender.mac; });
  for (std::size_t i = 0; i < policies.size(); ++i) policies[i].id = static_cast<std::uint32_t>(i + 1);
  for (auto _ : state) benchmark::DoNotOptimize(translate(topo, policies));
  state.SetItemsProcessed(state.iterations() * kPolicies);
}
BENCHMARK(BM_Compile100kBySender)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_IncrementalAdd(benchmark::State& state) {
  Translator t(make_topology());
  for (const auto& p : make_policies(kPolicies, 1, 1)) t.add(p);
  const auto extra = make_policies(200'000, kPolicies + 1, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    t.add(extra[i++ % extra.size()]);
    if (i == extra.size()) state.SkipWithError("ran out of prepared policies");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IncrementalAdd)->Unit(benchmark::kMicrosecond)->Iterations(20'000);

// Resident memory of this process now, in bytes (/proc/self/statm: pages).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// A translator holding N policies and the plan it gives: the memory both hold (resident
// growth over the policies alone) and the process's peak.
void BM_Memory(benchmark::State& state) {
  const Topology topo = make_topology();
  const auto policies = make_policies(static_cast<int>(state.range(0)), 1, 1);
  const double base = resident_bytes();
  double held = 0;
  std::size_t flows = 0;
  for (auto _ : state) {
    Translator t(topo);
    for (const auto& p : policies) t.add(p);
    const Plan plan = t.plan();
    held = resident_bytes() - base;
    flows = 0;
    for (const auto& [name, sp] : plan.switches) flows += sp.flows.size();
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["flows"] = static_cast<double>(flows);
  state.counters["held_MiB"] = held / (1 << 20);
  state.counters["bytes_per_policy"] = held / static_cast<double>(state.range(0));
  state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024;
}
BENCHMARK(BM_Memory)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
