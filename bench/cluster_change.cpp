// The library CPU of one change in a cluster (docs/design.md §6.7), with N settled policies in
// a 50-node cluster of 20 VMs each; each figure beside what the same step cost before its
// translator was kept, in the same run.
//
//   BM_AgentChange/N         a policy whose sender is on node n0 is created, then removed, and
//                            n0's agent follows: ClusterTranslator::follow, which translates only
//                            the rows that moved;
//   BM_AgentNewStream/N      the same for the first policy of a new stream, whose mark comes with
//                            it (the translator was built anew for each before);
//   BM_AgentRetranslate/N    the peer: every row's policies (node_policies) into a fresh
//                            translator, then the switch's plan;
//   BM_VtapdCheck/N          a vtapd checks a create against every policy and finds its marks:
//                            ClusterTranslator::marks_with on the translator it keeps;
//   BM_VtapdCheckAfresh/N    the peer: every spec into a fresh translator, then the create;
//   BM_AgentUpdate/N         all an agent's library does for that change: the replica publishes
//                            a snapshot with the row inserted (or deleted), the agent reads it
//                            into a view from its last one and follows it;
//   BM_ReadCluster/N         reading the replica's snapshot into a view from the last one after
//                            one row moved, which agents and vtapds pay on every update;
//   BM_ReadClusterAfresh/N   the peer: the snapshot read into a view with no view before;
//   BM_ReplicaUpdate/N       the replica publishing a snapshot with one Policy row changed;
//   BM_ReplicaUpdateWholeTable/N  the peer: the changed table copied whole, as it was before.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/cluster/cluster_translator.hpp"
#include "libvtap/model/json.hpp"

namespace {

using namespace vtap;

constexpr int kNodes = 50;
constexpr int kHosts = 1000;

MacAddress host_mac(int n) {
  return MacAddress({0xfa, 0x16, 0x3e, 0, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
}
std::string switch_of(int host) { return "n" + std::to_string(host % kNodes) + ".br"; }

// A line of 50 nodes with a few chords; VM h on node h % 50.
Topology make_topology() {
  Topology t;
  for (int s = 0; s < kNodes; ++s)
    t.add_switch(Switch{"n" + std::to_string(s) + ".br", static_cast<std::uint64_t>(s + 1), std::nullopt, {}});
  std::uint32_t port = 1000;
  auto link = [&](int a, int b) {
    t.add_link(Link{PortRef{switch_of(a), port}, PortRef{switch_of(b), port + 1}});
    port += 2;
  };
  for (int s = 1; s < kNodes; ++s) link(s - 1, s);
  for (int s = 0; s + 10 < kNodes; s += 10) link(s, s + 10);
  for (int h = 0; h < kHosts; ++h)
    t.add_host(Host{"vm" + std::to_string(h), host_mac(h), Ipv4Address(0x0a000000U + static_cast<std::uint32_t>(h)),
                    std::nullopt, switch_of(h), static_cast<std::uint32_t>(h + 1), "t1"});
  return t;
}

TapPolicy make_policy(std::uint32_t id, int sender, int receiver, int monitor) {
  TapPolicy p;
  p.id = id;
  p.sender = Endpoint{host_mac(sender), std::nullopt, false};
  p.receiver = Endpoint{host_mac(receiver), std::nullopt, false};
  p.monitor = Endpoint{host_mac(monitor), std::nullopt, false};
  return p;
}

// A row UUID of policy `id`, random-looking as a server's are (rows arrive in id order, and
// their UUIDs do not follow it).
std::string uuid_of(std::uint32_t id) {
  char text[40];
  std::snprintf(text, sizeof text, "%08x-0000-4000-8000-%012x", id * 2654435761U, id);
  return text;
}

PolicyRow settled(TapPolicy p, std::uint64_t generation) {
  PolicyRow row;
  row.uuid = uuid_of(p.id);
  row.id = p.id;
  row.generation = generation;
  row.spec = std::move(p);
  return row;
}

// N settled rows (monitors from a pool of 20, as in bench_translator), with the marks a
// vtapd would have assigned their streams.
struct Cluster {
  Topology topology = make_topology();
  ClusterView view;
  TapPolicy extra = make_policy(0, 0, 1, 507);  // sender vm0 on n0

  explicit Cluster(int n) {
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> host(0, kHosts - 1), monitor(0, 19);
    Translator marks(topology);
    for (std::uint32_t id = 1; id <= static_cast<std::uint32_t>(n);) {
      const int s = host(rng), r = host(rng), m = monitor(rng) * (kHosts / 20) + 7;
      if (s == r || m == s || m == r) continue;
      TapPolicy p = make_policy(id, s, r, m);
      marks.add(p);
      view.policies.insert_or_assign(id, settled(std::move(p), id));
      ++id;
    }
    view.marks = marks.marks();
    view.generation = static_cast<std::uint64_t>(n);
    extra.id = static_cast<std::uint32_t>(n + 1);
  }
  // A translator with the view's marks and nothing else, as every step was made before.
  Translator afresh() const {
    TranslatorOptions options;
    options.assigned_marks = view.marks;
    return Translator(topology, options);
  }
  // The view with the extra policy created (`on`) or removed, at a new generation.
  const ClusterView& step(bool on) {
    ++view.generation;
    if (on) view.policies.insert_or_assign(extra.id, settled(extra, view.generation));
    else view.policies.erase(extra.id);
    return view;
  }
};

void BM_AgentChange(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  auto plan = ClusterTranslator::for_node("n0", {});
  plan.follow(c.view, c.topology);
  bool on = false;
  for (auto _ : state) {
    on = !on;
    auto delta = plan.follow(c.step(on), c.topology);
    if (!delta || !delta->contains("n0.br")) state.SkipWithError("the change did not reach n0");
    benchmark::DoNotOptimize(delta);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AgentChange)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->Iterations(2'000);

// The first policy of a new stream (a new truncation length to a monitor) comes with the
// stream's new mark: the agent takes the mark and follows as for any change.
void BM_AgentNewStream(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  auto plan = ClusterTranslator::for_node("n0", {});
  plan.follow(c.view, c.topology);
  std::uint16_t mark = 0;
  for (const auto& [stream, m] : c.view.marks) mark = std::max(mark, m);
  std::uint16_t length = 64;
  for (auto _ : state) {
    TapPolicy p = c.extra;
    p.truncate = ++length;
    c.view.marks["vm507,max_len=" + std::to_string(length)] = ++mark;
    c.view.policies.insert_or_assign(p.id, settled(p, ++c.view.generation));
    auto delta = plan.follow(c.view, c.topology);
    if (!delta || !delta->contains("n0.br")) state.SkipWithError("built anew, or the change did not reach n0");
    benchmark::DoNotOptimize(delta);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AgentNewStream)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->Iterations(500);

void BM_AgentRetranslate(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  bool on = false;
  for (auto _ : state) {
    on = !on;
    const ClusterView& view = c.step(on);
    Translator t = c.afresh();
    for (const TapPolicy& p : node_policies(view, c.topology, "n0", {})) t.add(p);
    benchmark::DoNotOptimize(t.plan("n0.br"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AgentRetranslate)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(6);

void BM_VtapdCheck(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  auto specs = ClusterTranslator::for_specs({});
  specs.follow(c.view, c.topology);
  for (auto _ : state) benchmark::DoNotOptimize(specs.marks_with(c.extra));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VtapdCheck)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->Iterations(2'000);

void BM_VtapdCheckAfresh(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Translator t = c.afresh();
    for (const auto& [id, row] : c.view.policies) t.add(*row.spec);
    t.add(c.extra);
    benchmark::DoNotOptimize(t.marks());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VtapdCheckAfresh)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(6);

nlohmann::json policy_row(const PolicyRow& row) {
  return {{"policy_id", row.id}, {"spec", nlohmann::json(*row.spec).dump()}, {"phase", "commit"},
          {"generation", row.generation}};
}

// The cluster's Policy rows as a replica holds them.
OvsdbSnapshot policy_table(const Cluster& c) {
  OvsdbSnapshot snapshot;
  auto& rows = snapshot.mutable_rows("Policy");
  for (const auto& [id, row] : c.view.policies) rows[row.uuid] = policy_row(row);
  return snapshot;
}

void BM_AgentUpdate(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  OvsdbSnapshot published = policy_table(c);
  ClusterView last = read_cluster(published);
  last.marks = c.view.marks;
  auto plan = ClusterTranslator::for_node("n0", {});
  plan.follow(last, c.topology);
  bool on = false;
  for (auto _ : state) {
    on = !on;
    OvsdbSnapshot next = published;
    auto& rows = next.mutable_rows("Policy");
    if (on) rows[uuid_of(c.extra.id)] = policy_row(settled(c.extra, ++c.view.generation));
    else rows.erase(uuid_of(c.extra.id));
    ClusterView view = read_cluster(next, &last);
    view.marks = c.view.marks;  // the table of Mark rows is left out: it does not change
    auto delta = plan.follow(view, c.topology);
    if (!delta || !delta->contains("n0.br")) state.SkipWithError("the change did not reach n0");
    published = std::move(next);
    last = std::move(view);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AgentUpdate)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->Iterations(2'000);

// The snapshot read into a view after one row moved: from the view before, or afresh.
void read_after_a_move(benchmark::State& state, bool from_previous) {
  Cluster c(static_cast<int>(state.range(0)));
  OvsdbSnapshot snapshot = policy_table(c);
  ClusterView previous = read_cluster(snapshot);
  std::uint64_t generation = c.view.generation;
  for (auto _ : state) {
    snapshot.mutable_rows("Policy")[uuid_of(1)]["generation"] = ++generation;
    ClusterView now = read_cluster(snapshot, from_previous ? &previous : nullptr);
    previous = std::move(now);
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_ReadCluster(benchmark::State& state) { read_after_a_move(state, true); }
BENCHMARK(BM_ReadCluster)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->Iterations(200);
void BM_ReadClusterAfresh(benchmark::State& state) { read_after_a_move(state, false); }
BENCHMARK(BM_ReadClusterAfresh)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(5);

// A replica publishes a snapshot after every update: one Policy row changed in a copy of the
// last one (OvsdbRows copies only that row and its part's index) ...
void BM_ReplicaUpdate(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  OvsdbSnapshot published = policy_table(c);
  std::uint64_t generation = c.view.generation;
  for (auto _ : state) {
    OvsdbSnapshot next = published;
    next.mutable_rows("Policy")[uuid_of(1)]["generation"] = ++generation;
    published = std::move(next);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplicaUpdate)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->Iterations(200);

// ... and the peer, what that cost when a changed table was copied whole.
void BM_ReplicaUpdateWholeTable(benchmark::State& state) {
  Cluster c(static_cast<int>(state.range(0)));
  const OvsdbSnapshot snapshot = policy_table(c);
  std::map<std::string, nlohmann::json> published(snapshot.rows("Policy").begin(), snapshot.rows("Policy").end());
  std::uint64_t generation = c.view.generation;
  for (auto _ : state) {
    auto next = published;
    next[uuid_of(1)]["generation"] = ++generation;
    published = std::move(next);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplicaUpdateWholeTable)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
