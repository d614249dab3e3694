// Translator: its state (translator_state.hpp) and its API: add and remove policies, read
// the plans and the rewriting rules. Validation is in validate.cpp, the rules of a sender
// port in compose.cpp, marks and the paths of copies in marks.cpp.

#include "libvtap/translate/translator.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "translator_state.hpp"

namespace vtap {

std::string to_string(Forwarding f) {
  switch (f) {
    case Forwarding::path: return "path";
    case Forwarding::normal: return "normal";
    case Forwarding::resubmit: return "resubmit";
  }
  return "path";
}

Translator::State::State(Topology t, TranslatorOptions o) : topo(std::move(t)), opt(o) {
  if (opt.first_mark == 0 || opt.first_mark > opt.last_mark || opt.last_mark > 4094)
    throw Error("mark range " + std::to_string(opt.first_mark) + "-" + std::to_string(opt.last_mark) +
                " is not a VLAN ID range within 1-4094");
  for (unsigned m = opt.first_mark; m <= opt.last_mark; ++m) free_marks.insert(static_cast<std::uint16_t>(m));
  for (const auto& [stream, mark] : opt.assigned_marks) {
    if (mark < opt.first_mark || mark > opt.last_mark)
      throw Error("mark " + std::to_string(mark) + " of stream " + stream + " is outside the mark range " +
                  std::to_string(opt.first_mark) + "-" + std::to_string(opt.last_mark));
    free_marks.erase(mark);
  }
  if (opt.groups.first == 0 || opt.groups.first > opt.groups.last || opt.groups.last > max_group_id)
    throw Error("group range " + opt.groups.to_string() + " is not within 1-" + IdRange{1, max_group_id}.to_string());
  if (opt.meters.first == 0 || opt.meters.first > opt.meters.last || opt.meters.last > max_meter_id)
    throw Error("meter range " + opt.meters.to_string() + " is not within 1-" + IdRange{1, max_meter_id}.to_string());
  for (const auto& l : topo.links()) {
    peers.emplace(l.a, l.b);
    peers.emplace(l.b, l.a);
  }
}

Translator::Translator(Topology topology, TranslatorOptions options)
    : state_(std::make_unique<State>(std::move(topology), options)) {}
Translator::~Translator() = default;
Translator::Translator(Translator&&) noexcept = default;
Translator& Translator::operator=(Translator&&) noexcept = default;

std::uint32_t Translator::add(TapPolicy policy) {
  State& s = *state_;
  if (policy.id == 0) policy.id = s.policies.empty() ? 1 : s.policies.rbegin()->first + 1;
  std::vector<Tap> new_taps = s.validate(policy);
  const std::uint32_t id = policy.id;
  const TapPolicy& stored = s.policies.emplace(id, std::move(policy)).first->second;
  std::vector<const Tap*> inserted;
  try {
    for (Tap& t : new_taps) {
      t.policy = &stored;
      const Tap& placed = s.taps.emplace(t.key, std::move(t)).first->second;
      inserted.push_back(&placed);
      s.insert_tap(placed);
    }
  } catch (const LimitError& e) {
    for (auto it = inserted.rbegin(); it != inserted.rend(); ++it) {
      const Tap& t = **it;
      s.erase_tap(t);
      s.taps.erase(t.key);
    }
    s.policies.erase(id);
    throw PolicyError(id, e.field, e.what());
  }
  return id;
}

void Translator::remove(std::uint32_t id) {
  State& s = *state_;
  if (!s.policies.contains(id)) throw Error("policy " + std::to_string(id) + ": no such policy");
  for (bool reverse : {true, false}) {
    auto it = s.taps.find(tap_key(id, reverse));
    if (it == s.taps.end()) continue;
    s.erase_tap(it->second);
    s.taps.erase(it);
  }
  s.policies.erase(id);
}

const TapPolicy* Translator::find(std::uint32_t id) const noexcept {
  auto it = state_->policies.find(id);
  return it == state_->policies.end() ? nullptr : &it->second;
}

std::vector<const TapPolicy*> Translator::policies() const {
  std::vector<const TapPolicy*> out;
  for (const auto& [id, p] : state_->policies) out.push_back(&p);
  return out;
}

void Translator::begin_changes() { state_->recording.emplace(); }

PlanDelta Translator::take_changes() {
  PlanDelta out;
  if (!state_->recording) return out;
  auto split = [](const auto& counts, auto& before, auto& after) {
    for (const auto& [entry, n] : counts) (n < 0 ? before : after).push_back(entry);
  };
  for (const auto& [name, c] : *state_->recording) {
    SwitchDelta d;
    split(c.flows, d.before.flows, d.after.flows);
    split(c.groups, d.before.groups, d.after.groups);
    split(c.meters, d.before.meters, d.after.meters);
    if (!d.before.empty() || !d.after.empty()) out.emplace(name, std::move(d));
  }
  state_->recording.reset();
  return out;
}

const Topology& Translator::topology() const noexcept { return state_->topo; }
const TranslatorOptions& Translator::options() const noexcept { return state_->opt; }

std::map<std::string, std::uint16_t> Translator::marks() const {
  std::map<std::string, std::uint16_t> out;
  for (const auto& [key, mark] : state_->streams) out.emplace(stream_name(key), mark.value);
  return out;
}

bool Translator::assign_marks(const std::map<std::string, std::uint16_t>& marks) {
  return state_->assign_marks(marks);
}

Match Translator::tap_match(const TapPolicy& policy, bool reverse) const {
  const Host* sender = state_->resolve(policy, reverse ? "receiver" : "sender", reverse ? policy.receiver : policy.sender);
  return state_->tap_match(policy, *sender, reverse);
}

namespace {

// The plan of one switch: copied out of a const state, moved out of a mutable one.
template <class State>
SwitchPlan gather(State& st) {
  constexpr bool take = !std::is_const_v<State>;
  using Flow = std::conditional_t<take, FlowRule, const FlowRule>;
  using Group = std::conditional_t<take, GroupEntry, const GroupEntry>;
  SwitchPlan out;
  for (auto& [id, m] : st.meters) out.meters.push_back(m.value);
  // Sorting pointers, then copying once, is much cheaper than sorting the rules.
  std::vector<Group*> groups;
  std::vector<Flow*> flows;
  for (auto& [port, part] : st.partitions)
    for (auto& [m, e] : part.elements()) {
      groups.push_back(&e.out->group);
      flows.push_back(&e.out->flow);
    }
  for (auto& [key, r] : st.path_rules) flows.push_back(&r.value);
  for (auto& [mark, r] : st.copy_rules) flows.push_back(&r.value);
  const auto by_value = [](const auto* a, const auto* b) { return *a < *b; };
  std::sort(groups.begin(), groups.end(), by_value);
  std::sort(flows.begin(), flows.end(), by_value);
  out.groups.reserve(groups.size());
  for (Group* g : groups) out.groups.push_back(std::move(*g));
  out.flows.reserve(flows.size());
  for (Flow* f : flows) out.flows.push_back(std::move(*f));
  return out;
}

template <class Switches>
Plan gather_all(Switches& switches) {
  Plan out;
  for (auto& [name, st] : switches) {
    SwitchPlan sp = gather(st);
    if (!sp.empty()) out.switches.emplace(name, std::move(sp));
  }
  return out;
}

}  // namespace

SwitchPlan Translator::plan(const std::string& switch_name) const {
  auto found = state_->switches.find(switch_name);
  if (found == state_->switches.end()) return {};
  return gather(std::as_const(found->second));
}

namespace {
void sort_unique(std::vector<std::uint32_t>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}
}  // namespace

std::vector<TapRule> Translator::tap_rules(const std::string& switch_name) const {
  std::vector<TapRule> out;
  auto found = state_->switches.find(switch_name);
  if (found == state_->switches.end()) return out;
  for (const auto& [port, part] : found->second.partitions)
    for (const auto& [m, e] : part.elements()) {
      TapRule r{e.out->flow.cookie, e.out->group.group_id, {}, {}};
      for (TapKey k : e.taps) r.policies.push_back(tap_policy(k));
      sort_unique(r.policies);
      for (const Contributors& contributors : state_->copy_targets(e.taps)) {
        auto& owners = r.buckets.emplace_back();
        for (const Tap* t : contributors) owners.push_back(t->policy->id);
        sort_unique(owners);
      }
      out.push_back(std::move(r));
    }
  std::sort(out.begin(), out.end(), [](const TapRule& a, const TapRule& b) { return a.group_id < b.group_id; });
  return out;
}

Plan Translator::plan() const& { return gather_all(std::as_const(state_->switches)); }
Plan Translator::plan() && { return gather_all(state_->switches); }

Plan translate(const Topology& topology, std::span<const TapPolicy> policies, const TranslatorOptions& options) {
  Translator t(topology, options);
  for (const auto& p : policies) t.add(p);
  return std::move(t).plan();
}

}  // namespace vtap
