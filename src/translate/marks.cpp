// Next hops, and the state that composed elements share, reference-counted per switch
// (docs/design.md §4.4-§4.8): a stream's mark, the transit and recovery rules of its path,
// its copy-table rule, and the meters of rate-limited policies.

#include "translator_state.hpp"

namespace vtap {

// Port of `from` toward switch `to`; nullopt when unreachable. `from != to`.
std::optional<std::uint32_t> Translator::State::next_hop(const std::string& from, const std::string& to) {
  auto cached = next_hop_cache.find(to);
  if (cached == next_hop_cache.end()) {
    const auto hops = topo.next_hops(to);
    cached = next_hop_cache.emplace(to, std::unordered_map<std::string, std::uint32_t>(hops.begin(), hops.end())).first;
  }
  auto it = cached->second.find(from);
  if (it == cached->second.end()) return std::nullopt;
  return it->second;
}

// Port by which `from` sends toward host `to` (its own port when `to` is local).
std::optional<std::uint32_t> Translator::State::port_toward(const std::string& from, const Host& to) {
  if (from == to.switch_name) return to.port;
  return next_hop(from, to.switch_name);
}

// Hops after the sender's switch on the way to `monitor`.
std::vector<Hop> Translator::State::hops_to(const std::string& from, const Host& monitor) {
  std::vector<Hop> hops;
  std::string here = from;
  while (here != monitor.switch_name) {
    const std::uint32_t out = *next_hop(here, monitor.switch_name);
    const PortRef& arrival = peers.at(PortRef{here, out});
    here = arrival.switch_name;
    const std::uint32_t next_out =
        here == monitor.switch_name ? monitor.port : *next_hop(here, monitor.switch_name);
    hops.push_back(Hop{here, arrival.port, next_out});
  }
  return hops;
}

std::string detail::stream_name(const StreamKey& key) {
  std::string name = key.target;
  if (key.restore) name += ",restore=" + key.restore->to_string();
  if (key.max_len) name += ",max_len=" + std::to_string(*key.max_len);
  if (key.meter) name += ",meter=" + std::to_string(*key.meter);
  return name;
}

std::uint16_t Translator::State::acquire_mark(const StreamKey& key) {
  auto stream = streams.find(key);
  if (stream == streams.end()) {
    std::uint16_t mark = 0;
    if (auto assigned = opt.assigned_marks.find(stream_name(key)); assigned != opt.assigned_marks.end()) {
      mark = assigned->second;
    } else {
      if (free_marks.empty())
        throw LimitError("monitor", "no free copy mark: all VLAN IDs " + std::to_string(opt.first_mark) + "-" +
                                        std::to_string(opt.last_mark) + " are in use");
      mark = *free_marks.begin();
      free_marks.erase(free_marks.begin());
    }
    stream = streams.emplace(key, Counted<std::uint16_t>{mark, 0}).first;
  }
  ++stream->second.refs;
  return stream->second.value;
}

void Translator::State::release_mark(const StreamKey& key) {
  auto stream = streams.find(key);
  if (--stream->second.refs == 0) {
    if (!opt.assigned_marks.contains(stream_name(key))) free_marks.insert(stream->second.value);
    streams.erase(stream);
  }
}

// Checks every mark before it assigns one, so that a refusal changes nothing.
bool Translator::State::assign_marks(const std::map<std::string, std::uint16_t>& marks) {
  std::map<std::string, std::uint16_t> held;  // by stream, every mark assigned or in use
  std::map<std::uint16_t, std::string> owner;
  for (const auto& [stream, mark] : opt.assigned_marks) held.emplace(stream, mark);
  for (const auto& [key, mark] : streams) held.emplace(stream_name(key), mark.value);
  for (const auto& [stream, mark] : held) owner.emplace(mark, stream);
  for (const auto& [stream, mark] : marks) {
    if (mark < opt.first_mark || mark > opt.last_mark)
      throw Error("mark " + std::to_string(mark) + " of stream " + stream + " is outside the mark range " +
                  std::to_string(opt.first_mark) + "-" + std::to_string(opt.last_mark));
    auto has = held.find(stream);
    auto taken = owner.find(mark);
    if ((has != held.end() && has->second != mark) || (taken != owner.end() && taken->second != stream)) return false;
    owner.emplace(mark, stream);
  }
  for (const auto& [stream, mark] : marks) {
    opt.assigned_marks.emplace(stream, mark);
    free_marks.erase(mark);
  }
  return true;
}

std::uint16_t Translator::State::acquire_route(const RouteKey& rk, const Host& monitor) {
  if (auto r = routes.find(rk); r != routes.end()) {
    ++r->second.refs;
    return r->second.value;
  }
  const std::uint16_t mark = acquire_mark(rk.stream);  // may throw: nothing is counted yet
  routes.emplace(rk, Counted<std::uint16_t>{mark, 1});
  for (const Hop& hop : hops_to(rk.from_switch, monitor)) add_path_rule(hop, mark, monitor, rk.stream);
  return mark;
}

void Translator::State::release_route(const RouteKey& rk) {
  auto r = routes.find(rk);
  if (--r->second.refs != 0) return;
  const std::uint16_t mark = r->second.value;
  routes.erase(r);
  for (const Hop& hop : hops_to(rk.from_switch, *topo.find_host(rk.stream.target))) {
    auto& rules = touch(hop.switch_name).path_rules;
    auto it = rules.find({hop.in_port, mark});
    if (--it->second.refs != 0) continue;
    record(hop.switch_name, it->second.value, -1);
    rules.erase(it);
  }
  release_mark(rk.stream);
}

void Translator::State::add_path_rule(const Hop& hop, std::uint16_t mark, const Host& monitor,
                                      const StreamKey& stream) {
  auto& rules = touch(hop.switch_name).path_rules;
  auto [it, inserted] = rules.try_emplace({hop.in_port, mark});
  ++it->second.refs;
  if (!inserted) return;
  const bool recovery = hop.switch_name == monitor.switch_name;
  FlowRule& r = it->second.value;
  r.table = opt.table;
  r.priority = opt.priority;
  r.cookie = make_cookie(recovery ? RuleKind::recovery : RuleKind::transit, mark);
  r.match.set(Field::in_port, hop.in_port);
  r.match.set(Field::vlan_vid, 0x1000U | mark);
  if (recovery) {
    r.actions.push_back(PopVlanAction{});
    if (stream.restore) r.actions.push_back(SetFieldAction{Field::eth_dst, mac_bytes(*stream.restore)});
  }
  // Truncation happens on the monitor's own port: OVS cannot truncate into a patch port.
  r.actions.push_back(OutputAction{hop.out_port, recovery ? stream.max_len : std::nullopt});
  record(hop.switch_name, r, +1);
}

// The copy table rule of a stream on its sender's switch: meter, then finish the copy.
void Translator::State::acquire_copy_rule(const std::string& sw, const StreamKey& key, std::uint16_t mark,
                                          std::vector<Action> finish) {
  auto [it, inserted] = touch(sw).copy_rules.try_emplace(mark);
  ++it->second.refs;
  if (!inserted) return;
  FlowRule& r = it->second.value;
  r.table = opt.copy_table;
  r.priority = opt.priority;
  r.cookie = make_cookie(RuleKind::copy, mark);
  r.match.set(Field::vlan_vid, 0x1000U | mark);
  if (key.meter) r.actions.push_back(MeterAction{*key.meter});
  for (auto& a : finish) r.actions.push_back(std::move(a));
  record(sw, r, +1);
}

void Translator::State::release_copy_rule(const std::string& sw, const StreamKey& key) {
  auto& rules = touch(sw).copy_rules;
  auto it = rules.find(streams.at(key).value);
  if (--it->second.refs == 0) {
    record(sw, it->second.value, -1);
    rules.erase(it);
  }
  release_mark(key);
}

// The meter of a rate-limited policy: keyed by its id, as its group is.
std::uint32_t Translator::State::meter_id(const TapPolicy& p) const {
  if (p.id - 1ULL >= opt.meters.size())
    throw LimitError("rate_limit", "policy id " + std::to_string(p.id) + " has no meter id in the meter range " +
                                       opt.meters.to_string());
  return opt.meters.first + (p.id - 1);
}

void Translator::State::acquire_meter(const std::string& sw, const TapPolicy& p) {
  auto [it, inserted] = touch(sw).meters.try_emplace(meter_id(p));
  ++it->second.refs;
  if (inserted) {
    const RateLimit& rl = *p.rate_limit;
    it->second.value = MeterEntry{it->first, rl.unit == RateLimit::Unit::kbps ? MeterEntry::Unit::kbps : MeterEntry::Unit::pktps,
                                  rl.rate, rl.burst};
    record(sw, it->second.value, +1);
  }
}

}  // namespace vtap
