// The rewriting rules of a sender port (docs/design.md §4.2, §4.3, §4.10, §4.11, §4.13): the
// closure of its taps' matches, and for each element its flow and group of type ALL, bucket
// 0 forwarding the original and one copy bucket per distinct target.

#include <tuple>

#include "translator_state.hpp"

namespace vtap {

// Adds tap `t` to the closure of its sender port; throws LimitError past the bound.
std::vector<Partition::Changed> Translator::State::insert_closure(Partition& part, const Tap& t,
                                                                  const std::string& sw) {
  try {
    return part.insert(t.key, t.match, [this](TapKey k) -> const Match& { return taps.at(k).match; },
                       opt.max_composed);
  } catch (const ClosureBoundError& e) {
    throw LimitError("filter", "composing with the overlapping policies on " + sw + " port " +
                                   std::to_string(t.sender->port) + " needs " + std::to_string(e.needed) +
                                   " rules, more than the bound of " + std::to_string(opt.max_composed));
  }
}

// A single policy's forward group is keyed by the policy's order (the paper's key) in the
// lower half of the group range; every other group is hashed into the upper half, probing
// past ids in use.
std::uint32_t Translator::State::allocate_group(const SwitchState& st, const TapKeys& members) const {
  if (members.size() == 1 && (members[0] & 1U) == 0) {
    const std::uint64_t id = opt.groups.first + (tap_policy(members[0]) - 1ULL);
    if (id <= max_group_id && keyed_group(static_cast<std::uint32_t>(id))) return static_cast<std::uint32_t>(id);
  }
  const std::uint64_t keyed = opt.groups.size() / 2;
  const std::uint64_t base = opt.groups.first + keyed, span = opt.groups.size() - keyed;
  std::uint64_t offset = fnv1a(members) % span;
  for (std::uint64_t tried = 0; tried < span; ++tried, offset = (offset + 1) % span)
    if (!st.hashed_group_ids.contains(static_cast<std::uint32_t>(base + offset))) return static_cast<std::uint32_t>(base + offset);
  throw LimitError("filter", "no free group id in the group range " + opt.groups.to_string());
}

// The actions of one copy bucket, acquiring the marks, paths, copy rules and meters it
// uses into `out`. OVS runs a bucket as an OpenFlow action set: pushes before set_fields
// before the one final output, and it ignores meters and truncating outputs there. So a
// bucket only marks and outputs; a meter (and truncation on the sender's switch) is
// applied by a rule in the copy table the bucket resubmits to, and truncation of remote
// copies by the recovery rule on the monitor's port.
std::vector<Action> Translator::State::copy_bucket(const std::string& sw, const Match& m,
                                                   const Contributors& contributors, ElementOutput& out) {
  StreamKey key;
  // Truncate only if every policy wanting this copy truncates; keep the longest.
  if (std::all_of(contributors.begin(), contributors.end(), [](const Tap* t) { return t->policy->truncate; }))
    for (const Tap* t : contributors) key.max_len = std::max(key.max_len.value_or(0), *t->policy->truncate);
  // Meter only if every policy wanting this copy is limited; use the loosest limit.
  const TapPolicy* loosest = nullptr;
  if (std::all_of(contributors.begin(), contributors.end(), [](const Tap* t) { return t->policy->rate_limit; })) {
    loosest = contributors.front()->policy;
    for (const Tap* t : contributors)
      if (t->policy->rate_limit->rate > loosest->rate_limit->rate) loosest = t->policy;
    key.meter = meter_id(*loosest);
  }
  const Tap& first = *contributors.front();
  const Host* mon = first.monitor;
  const bool remote = mon && mon->switch_name != sw;
  std::vector<Action> actions, finish;
  if (mon) {
    key.target = mon->name;
    if (remote && opt.rewrite_destination) key.restore = m.exact_mac(Field::eth_dst);
    if (key.restore) actions.push_back(SetFieldAction{Field::eth_dst, mac_bytes(mon->mac)});
    if (remote) finish.push_back(OutputAction{*next_hop(sw, mon->switch_name), std::nullopt});
    else finish = {PopVlanAction{}, OutputAction{mon->port, key.max_len}};
  } else {
    const TunnelTarget& tt = *first.policy->tunnel;
    key.target = "tunnel " + tt.remote_ip.to_string() + " " + std::to_string(tt.key);
    if (!tt.type.empty()) key.target += " " + tt.type;
    if (tt.erspan_index) key.target += " index " + std::to_string(*tt.erspan_index);
    actions.push_back(SetFieldAction{Field::tun_dst, uint_bytes(Field::tun_dst, tt.remote_ip.value())});
    actions.push_back(SetFieldAction{Field::tun_id, uint_bytes(Field::tun_id, tt.key)});
    if (tt.type == "erspan") {
      actions.push_back(SetFieldAction{Field::tun_erspan_ver, uint_bytes(Field::tun_erspan_ver, 1)});
      actions.push_back(SetFieldAction{Field::tun_erspan_idx, uint_bytes(Field::tun_erspan_idx, tt.erspan_index.value_or(0))});
    }
    finish = {PopVlanAction{}, OutputAction{*topo.find_switch(sw)->tunnel_port_of(tt.type), key.max_len}};
  }
  const bool via_copy_table = key.meter || (key.max_len && !remote);
  if (!via_copy_table && !remote) {  // A plain output: the cheapest copy there is.
    actions.push_back(finish.back());
    std::get<OutputAction>(actions.back()).max_len.reset();
    return actions;
  }
  std::uint16_t mark = 0;
  if (remote) {
    RouteKey rk{sw, key};
    mark = acquire_route(rk, *mon);
    out.routes.push_back(rk);
  }
  if (via_copy_table) {
    mark = acquire_mark(key);
    out.copy_rules.push_back(key);
    acquire_copy_rule(sw, key, mark, std::move(finish));
    if (loosest) {
      acquire_meter(sw, *loosest);
      out.meters.push_back(*key.meter);
    }
  }
  actions.push_back(PushVlanAction{0x8100});
  actions.push_back(SetFieldAction{Field::vlan_vid, uint_bytes(Field::vlan_vid, 0x1000U | mark)});
  if (via_copy_table) actions.push_back(ResubmitAction{opt.copy_table});
  else actions.push_back(OutputAction{*next_hop(sw, mon->switch_name), std::nullopt});
  return actions;
}

// The taps of an element grouped by where they copy to (a monitor host, or a tunnel
// target), in the order of the targets' names: one copy bucket each.
std::vector<Contributors> Translator::State::copy_targets(const TapKeys& members) const {
  std::vector<Contributors> targets;
  auto same_target = [](const Tap* a, const Tap* b) {
    return a->monitor ? a->monitor == b->monitor : !b->monitor && *a->policy->tunnel == *b->policy->tunnel;
  };
  for (TapKey k : members) {
    const Tap* t = &taps.at(k);
    auto it = std::find_if(targets.begin(), targets.end(), [&](const auto& g) { return same_target(g.front(), t); });
    if (it == targets.end()) targets.push_back({t});
    else it->push_back(t);
  }
  auto order = [](const Contributors& g) {
    const Tap* t = g.front();
    return std::tuple(t->monitor != nullptr, t->monitor ? t->monitor->name : std::string(),
                      t->monitor ? TunnelTarget{} : *t->policy->tunnel);
  };
  if (targets.size() > 1)
    std::sort(targets.begin(), targets.end(), [&](const auto& a, const auto& b) { return order(a) < order(b); });
  return targets;
}

// Builds (and acquires what it needs for) the rule and group of one element.
ElementOutput Translator::State::make_output(const std::string& sw, const Match& m, const Element& e,
                                             std::optional<std::uint32_t> keep_group) {
  SwitchState& st = touch(sw);
  if (opt.priority + e.depth > 0xffff)
    throw LimitError("filter", "composed rules on " + sw + " nest " + std::to_string(e.depth) +
                                   " deep, beyond the highest OpenFlow priority above " + std::to_string(opt.priority));
  ElementOutput out;
  try {
    std::vector<Action> original;
    switch (opt.forwarding) {
      case Forwarding::path: {
        const Host* receiver = nullptr;
        for (auto k = e.taps.begin(); !receiver; ++k) receiver = taps.at(*k).receiver;
        original.push_back(OutputAction{*port_toward(sw, *receiver), std::nullopt});
        break;
      }
      case Forwarding::normal: original.push_back(OutputAction{port_normal, std::nullopt}); break;
      case Forwarding::resubmit:
        if (reenters_taps()) original.push_back(SetFieldAction{Field::metadata, uint_bytes(Field::metadata, tapped_metadata)});
        original.push_back(ResubmitAction{opt.resubmit_table});
        break;
    }
    out.group.type = GroupType::all;
    out.group.buckets.push_back(Bucket{0, std::move(original)});

    std::uint32_t bucket_id = 1;
    for (const auto& contributors : copy_targets(e.taps))
      out.group.buckets.push_back(Bucket{bucket_id++, copy_bucket(sw, m, contributors, out)});
    out.group.group_id = keep_group ? *keep_group : allocate_group(st, e.taps);
    if (!keyed_group(out.group.group_id)) st.hashed_group_ids.insert(out.group.group_id);

    out.flow.table = opt.table;
    out.flow.priority = static_cast<std::uint16_t>(opt.priority + e.depth);
    out.flow.cookie = e.taps.size() == 1 ? make_cookie(RuleKind::tap, tap_policy(e.taps[0]))
                                         : make_cookie(RuleKind::composed, fnv1a(e.taps));
    out.flow.match = m;
    if (reenters_taps()) out.flow.match.set(Field::metadata, 0);
    out.flow.actions.push_back(GroupAction{out.group.group_id});
  } catch (...) {
    release(sw, out, true);
    throw;
  }
  return out;
}

void Translator::State::release(const std::string& sw, const ElementOutput& out, bool keep_group) {
  for (const RouteKey& rk : out.routes) release_route(rk);
  for (const StreamKey& key : out.copy_rules) release_copy_rule(sw, key);
  auto& st = touch(sw);
  for (std::uint32_t id : out.meters) {
    auto it = st.meters.find(id);
    if (--it->second.refs != 0) continue;
    record(sw, it->second.value, -1);
    st.meters.erase(it);
  }
  if (!keep_group) st.hashed_group_ids.erase(out.group.group_id);
}

// Takes the rule and group of an element off its switch, and releases what they held.
void Translator::State::retire(const std::string& sw, const ElementOutput& out, bool keep_group) {
  record(sw, out, -1);
  release(sw, out, keep_group);
}

// Gives every changed element rules matching its taps and depth: new state first, then
// the old released, so marks and paths shared with the old state stay where they are.
void Translator::State::sync(const std::string& sw, const std::vector<Partition::Changed>& changed) {
  for (const auto& [m, element, same_taps] : changed) {
    Element& e = *element;
    std::optional<std::uint32_t> keep;
    if (e.out && same_taps) keep = e.out->group.group_id;
    ElementOutput fresh = make_output(sw, *m, e, keep);
    record(sw, fresh, +1);
    if (e.out) retire(sw, *e.out, keep.has_value() || e.out->group.group_id == fresh.group.group_id);
    e.out = std::move(fresh);
  }
}

void Translator::State::insert_tap(const Tap& t) {
  const std::string& sw = t.sender->switch_name;
  Partition& part = touch(sw).partitions[t.sender->port];
  sync(sw, insert_closure(part, t, sw));
}

// Takes `t` out of its partition: elements it alone made go, and those it was part of get
// rules for their remaining taps; the rest keep theirs.
void Translator::State::erase_tap(const Tap& t) {
  const std::string& sw = t.sender->switch_name;
  auto& parts = touch(sw).partitions;
  auto found = parts.find(t.sender->port);
  if (found == parts.end()) return;
  std::vector<Element> gone;
  const auto changed =
      found->second.erase(t.key, t.match, [this](TapKey k) -> const Match& { return taps.at(k).match; }, gone);
  sync(sw, changed);
  for (const Element& e : gone)
    if (e.out) retire(sw, *e.out, false);
  if (found->second.keys().empty()) parts.erase(found);
}

}  // namespace vtap
