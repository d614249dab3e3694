#include "libvtap/translate/translator.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>

#include "closure.hpp"
#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

// A tap is one direction of one policy: the unit the closure composes.
using detail::Closure;
using detail::ClosureBoundError;
using TapKey = detail::ClosureKey;
constexpr TapKey tap_key(std::uint32_t policy_id, bool reverse) noexcept {
  return (static_cast<TapKey>(policy_id) << 1) | (reverse ? 1U : 0U);
}
constexpr std::uint32_t tap_policy(TapKey k) noexcept { return static_cast<std::uint32_t>(k >> 1); }

struct Tap {
  TapKey key = 0;
  const TapPolicy* policy = nullptr;
  const Host* sender = nullptr;
  const Host* receiver = nullptr;  // null: any destination
  const Host* monitor = nullptr;   // null: tunnel delivery
  Match match;
};

// Copies that need the same handling after the group share a mark: same destination,
// same restored eth_dst, same truncation, same meter.
struct StreamKey {
  std::string target;                   // monitor host name, or "tunnel IP KEY"
  std::optional<MacAddress> restore;    // original eth_dst, when the copy's was rewritten
  std::optional<std::uint16_t> max_len; // truncation, applied where the copy leaves
  std::optional<std::uint32_t> meter;   // applied in the copy table of the sender's switch
  auto operator<=>(const StreamKey&) const = default;
};
// A stream as sent from one switch: owns the transit and recovery rules of its path.
struct RouteKey {
  std::string from_switch;
  StreamKey stream;
  auto operator<=>(const RouteKey&) const = default;
};

// The OpenFlow state one composed element puts on its switch, and what it holds.
struct ElementOutput {
  FlowRule flow;
  GroupEntry group;
  std::vector<RouteKey> routes;        // marked copies to remote monitors
  std::vector<StreamKey> copy_rules;   // copies finished in the copy table
  std::vector<std::uint32_t> meters;
  std::vector<std::vector<std::uint32_t>> bucket_policies;  // per copy bucket: whose copies
};

// The rewriting rules of one sender port: the closure of its taps' matches, each element
// carrying the OpenFlow state made for it.
using Partition = Closure<ElementOutput>;
using Element = Partition::Element;

template <class T>
struct Counted {
  T value;
  std::size_t refs = 0;
};

struct SwitchState {
  std::map<std::uint32_t, Partition> partitions;  // by sender port
  std::map<std::pair<std::uint32_t, std::uint16_t>, Counted<FlowRule>> path_rules;  // (in_port, mark)
  std::map<std::uint16_t, Counted<FlowRule>> copy_rules;  // by mark, in the copy table
  std::map<std::uint32_t, Counted<MeterEntry>> meters;
  std::set<std::uint32_t> group_ids;
};

// Thrown while building rules; add() turns it into a PolicyError for the policy at hand.
struct LimitError : Error {
  LimitError(std::string f, const std::string& what) : Error(what), field(std::move(f)) {}
  std::string field;
};

std::uint32_t fnv1a(const std::vector<TapKey>& keys) noexcept {
  std::uint32_t h = 2166136261U;
  for (TapKey k : keys)
    for (int i = 0; i < 8; ++i) h = (h ^ static_cast<std::uint8_t>(k >> (8 * i))) * 16777619U;
  return h;
}

FieldBytes mac_bytes(const MacAddress& mac) {
  FieldBytes b{};
  std::copy(mac.bytes().begin(), mac.bytes().end(), b.begin());
  return b;
}
FieldBytes uint_bytes(Field f, std::uint64_t v) {
  FieldBytes b{};
  const std::size_t n = field_bytes(f);
  for (std::size_t i = 0; i < n; ++i) b[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return b;
}

std::string host_text(const Host& h) { return h.name + " (" + h.mac.to_string() + ")"; }

}  // namespace

std::string to_string(Forwarding f) {
  switch (f) {
    case Forwarding::path: return "path";
    case Forwarding::normal: return "normal";
    case Forwarding::resubmit: return "resubmit";
  }
  return "path";
}

struct Translator::State {
  Topology topo;
  TranslatorOptions opt;
  std::map<std::uint32_t, TapPolicy> policies;
  std::map<TapKey, Tap> taps;
  std::unordered_map<std::string, SwitchState> switches;
  std::map<StreamKey, Counted<std::uint16_t>> streams;  // value: mark
  std::map<RouteKey, std::size_t> routes;
  std::set<std::uint16_t> free_marks;
  std::unordered_map<std::string, std::unordered_map<std::string, std::uint32_t>> next_hop_cache;
  std::map<PortRef, PortRef> peers;
  std::set<std::string> changed_switches;  // those the last add() or remove() changed

  State(Topology t, TranslatorOptions o) : topo(std::move(t)), opt(o) {
    if (opt.first_mark == 0 || opt.first_mark > opt.last_mark || opt.last_mark > 4094)
      throw Error("mark range " + std::to_string(opt.first_mark) + "-" + std::to_string(opt.last_mark) +
                  " is not a VLAN ID range within 1-4094");
    for (unsigned m = opt.first_mark; m <= opt.last_mark; ++m) free_marks.insert(static_cast<std::uint16_t>(m));
    if (opt.groups.first == 0 || opt.groups.first > opt.groups.last || opt.groups.last > max_group_id)
      throw Error("group range " + opt.groups.to_string() + " is not within 1-" + IdRange{1, max_group_id}.to_string());
    if (opt.meters.first == 0 || opt.meters.first > opt.meters.last || opt.meters.last > max_meter_id)
      throw Error("meter range " + opt.meters.to_string() + " is not within 1-" + IdRange{1, max_meter_id}.to_string());
    for (const auto& l : topo.links()) {
      peers.emplace(l.a, l.b);
      peers.emplace(l.b, l.a);
    }
  }

  // The state of switch `sw`, noted as changed by the current add() or remove().
  SwitchState& touch(const std::string& sw) {
    changed_switches.insert(sw);
    return switches[sw];
  }

  // Whether the original, resubmitted into the switch's pipeline, reaches the taps again.
  bool reenters_taps() const noexcept { return opt.forwarding == Forwarding::resubmit && opt.resubmit_table <= opt.table; }

  // Port of `from` toward switch `to`; nullopt when unreachable. `from != to`.
  std::optional<std::uint32_t> next_hop(const std::string& from, const std::string& to) {
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
  std::optional<std::uint32_t> port_toward(const std::string& from, const Host& to) {
    if (from == to.switch_name) return to.port;
    return next_hop(from, to.switch_name);
  }

  // ---- validation -------------------------------------------------------------------

  const Host* resolve(const TapPolicy& p, const char* field, const Endpoint& e) const {
    if (e.any) throw PolicyError(p.id, field, "'*' is only allowed for the receiver");
    const Host* by_mac = e.mac ? topo.find_host_by_mac(*e.mac) : nullptr;
    const Host* by_ip = e.ip ? topo.find_host_by_ip(*e.ip) : nullptr;
    if (!e.mac && !e.ip) throw PolicyError(p.id, field, "needs a MAC or an IP address");
    if (e.mac && !by_mac) throw PolicyError(p.id, std::string(field) + ".mac", "no host with MAC " + e.mac->to_string());
    if (e.ip && !by_ip) throw PolicyError(p.id, std::string(field) + ".ip", "no host with IP " + e.ip->to_string());
    if (by_mac && by_ip && by_mac != by_ip)
      throw PolicyError(p.id, std::string(field) + ".ip",
                        e.ip->to_string() + " belongs to " + by_ip->name + ", not to " + host_text(*by_mac));
    return by_mac ? by_mac : by_ip;
  }

  static void add_endpoint(Match& m, const Endpoint& e, bool source) {
    if (e.mac) m.set(source ? Field::eth_src : Field::eth_dst, *e.mac);
    if (!e.ip) return;
    if (e.ip->is_v4()) {
      if (auto t = m.exact_uint(Field::eth_type); t && *t != 0x0800) throw Error("IPv4 and IPv6 endpoints mixed");
      m.set(Field::eth_type, 0x0800);
      m.set(source ? Field::ipv4_src : Field::ipv4_dst, e.ip->v4());
    } else {
      if (auto t = m.exact_uint(Field::eth_type); t && *t != 0x86dd) throw Error("IPv4 and IPv6 endpoints mixed");
      m.set(Field::eth_type, 0x86dd);
      m.set(source ? Field::ipv6_src : Field::ipv6_dst, e.ip->v6());
    }
  }

  Match tap_match(const TapPolicy& p, const Host& sender_host, bool reverse) const {
    const Endpoint& from = reverse ? p.receiver : p.sender;
    const Endpoint& to = reverse ? p.sender : p.receiver;
    Match m;
    m.set(Field::in_port, sender_host.port);
    try {
      add_endpoint(m, from, true);
      if (!to.any) add_endpoint(m, to, false);
    } catch (const Error&) {
      throw PolicyError(p.id, "receiver.ip", "sender and receiver IP addresses are of different families");
    }
    const Match filter = reverse ? reversed(p.filter) : p.filter;
    auto combined = m.intersect(filter);
    if (!combined)
      throw PolicyError(p.id, "filter",
                        "\"" + p.filter.to_string() + "\" contradicts the endpoints (" + m.to_string() +
                            "): no packet can match both");
    return *combined;
  }

  std::vector<Tap> validate(const TapPolicy& p) {
    if (p.id == 0 || p.id > 0x7fffffff) throw PolicyError(p.id, "id", "must be between 1 and 2147483647");
    if (policies.contains(p.id)) throw PolicyError(p.id, "id", "duplicate policy id");
    try {
      p.filter.check_prerequisites();
    } catch (const Error& e) {
      throw PolicyError(p.id, "filter", e.what());
    }
    const Host* sender = resolve(p, "sender", p.sender);
    const Host* receiver = p.receiver.any ? nullptr : resolve(p, "receiver", p.receiver);
    if (receiver == sender) throw PolicyError(p.id, "receiver", "is the sender " + host_text(*sender));
    const Host* monitor = nullptr;
    if (p.delivery == Delivery::marked) {
      monitor = resolve(p, "monitor", p.monitor);
      if (monitor == sender) throw PolicyError(p.id, "monitor", "is the sender " + host_text(*sender));
      if (monitor == receiver) throw PolicyError(p.id, "monitor", "is the receiver " + host_text(*receiver));
    } else if (!p.tunnel) {
      throw PolicyError(p.id, "tunnel", "delivery \"tunnel\" needs a tunnel target (remote_ip, key)");
    }
    if (p.truncate && *p.truncate < 14) throw PolicyError(p.id, "truncate", "must be at least 14 bytes (an Ethernet header)");
    if (p.rate_limit && p.rate_limit->rate == 0) throw PolicyError(p.id, "rate_limit", "rate must be positive");
    if (p.direction == Direction::both && !receiver)
      throw PolicyError(p.id, "direction", "\"both\" needs a concrete receiver, not '*'");
    if (!receiver && opt.forwarding == Forwarding::path)
      throw PolicyError(p.id, "receiver",
                        "'*' cannot be forwarded along a path: use forwarding \"normal\" or \"resubmit\"");

    std::vector<Tap> out;
    for (bool reverse : {false, true}) {
      if (reverse && p.direction != Direction::both) break;
      Tap t;
      t.key = tap_key(p.id, reverse);
      t.sender = reverse ? receiver : sender;
      t.receiver = reverse ? sender : receiver;
      t.monitor = monitor;
      t.match = tap_match(p, *t.sender, reverse);
      const std::string& sw = t.sender->switch_name;
      if (t.receiver && opt.forwarding == Forwarding::path && !port_toward(sw, *t.receiver))
        throw PolicyError(p.id, reverse ? "sender" : "receiver",
                          host_text(*t.receiver) + " on " + t.receiver->switch_name + " is not reachable from " + sw);
      if (monitor && !port_toward(sw, *monitor))
        throw PolicyError(p.id, "monitor",
                          host_text(*monitor) + " on " + monitor->switch_name + " is not reachable from " + sw);
      if (p.delivery == Delivery::tunnel && !topo.find_switch(sw)->tunnel_port_of(p.tunnel->type))
        throw PolicyError(p.id, "delivery", "switch " + sw + " has no " +
                                                (p.tunnel->type.empty() ? "tunnel_port" : p.tunnel->type + " port in tunnel_ports") +
                                                " for tunnel delivery");
      out.push_back(std::move(t));
    }
    return out;
  }

  // ---- closure ----------------------------------------------------------------------

  // Adds tap `t` to the closure of its sender port; throws LimitError past the bound.
  std::vector<Partition::Changed> insert_closure(Partition& part, const Tap& t, const std::string& sw) {
    try {
      return part.insert(t.key, t.match, [this](TapKey k) -> const Match& { return taps.at(k).match; },
                         opt.max_composed);
    } catch (const ClosureBoundError& e) {
      throw LimitError("filter", "composing with the overlapping policies on " + sw + " port " +
                                     std::to_string(t.sender->port) + " needs " + std::to_string(e.needed) +
                                     " rules, more than the bound of " + std::to_string(opt.max_composed));
    }
  }

  // ---- resources --------------------------------------------------------------------

  std::uint16_t acquire_mark(const StreamKey& key) {
    auto stream = streams.find(key);
    if (stream == streams.end()) {
      if (free_marks.empty())
        throw LimitError("monitor", "no free copy mark: all VLAN IDs " + std::to_string(opt.first_mark) + "-" +
                                        std::to_string(opt.last_mark) + " are in use");
      stream = streams.emplace(key, Counted<std::uint16_t>{*free_marks.begin(), 0}).first;
      free_marks.erase(free_marks.begin());
    }
    ++stream->second.refs;
    return stream->second.value;
  }

  void release_mark(const StreamKey& key) {
    auto stream = streams.find(key);
    if (--stream->second.refs == 0) {
      free_marks.insert(stream->second.value);
      streams.erase(stream);
    }
  }

  std::uint16_t acquire_route(const RouteKey& rk, const Host& monitor) {
    if (routes[rk]++ != 0) return streams.at(rk.stream).value;
    const std::uint16_t mark = acquire_mark(rk.stream);
    for (const Hop& hop : hops_to(rk.from_switch, monitor)) add_path_rule(hop, mark, monitor, rk.stream);
    return mark;
  }

  void release_route(const RouteKey& rk) {
    auto r = routes.find(rk);
    if (--r->second != 0) return;
    routes.erase(r);
    const std::uint16_t mark = streams.at(rk.stream).value;
    for (const Hop& hop : hops_to(rk.from_switch, *topo.find_host(rk.stream.target))) {
      auto& rules = touch(hop.switch_name).path_rules;
      auto it = rules.find({hop.in_port, mark});
      if (--it->second.refs == 0) rules.erase(it);
    }
    release_mark(rk.stream);
  }

  // The copy table rule of a stream on its sender's switch: meter, then finish the copy.
  void acquire_copy_rule(const std::string& sw, const StreamKey& key, std::uint16_t mark, std::vector<Action> finish) {
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
  }

  void release_copy_rule(const std::string& sw, const StreamKey& key) {
    auto& rules = touch(sw).copy_rules;
    auto it = rules.find(streams.at(key).value);
    if (--it->second.refs == 0) rules.erase(it);
    release_mark(key);
  }

  // Hops after the sender's switch on the way to `monitor`.
  std::vector<Hop> hops_to(const std::string& from, const Host& monitor) {
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

  void add_path_rule(const Hop& hop, std::uint16_t mark, const Host& monitor, const StreamKey& stream) {
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
  }

  // The meter of a rate-limited policy: keyed by its id, as its group is.
  std::uint32_t meter_id(const TapPolicy& p) const {
    if (p.id - 1ULL >= opt.meters.size())
      throw LimitError("rate_limit", "policy id " + std::to_string(p.id) + " has no meter id in the meter range " +
                                         opt.meters.to_string());
    return opt.meters.first + (p.id - 1);
  }

  void acquire_meter(const std::string& sw, const TapPolicy& p) {
    auto [it, inserted] = touch(sw).meters.try_emplace(meter_id(p));
    ++it->second.refs;
    if (inserted) {
      const RateLimit& rl = *p.rate_limit;
      it->second.value = MeterEntry{it->first, rl.unit == RateLimit::Unit::kbps ? MeterEntry::Unit::kbps : MeterEntry::Unit::pktps,
                                    rl.rate, rl.burst};
    }
  }

  void release(const std::string& sw, const ElementOutput& out, bool keep_group) {
    for (const RouteKey& rk : out.routes) release_route(rk);
    for (const StreamKey& key : out.copy_rules) release_copy_rule(sw, key);
    auto& st = touch(sw);
    for (std::uint32_t id : out.meters) {
      auto it = st.meters.find(id);
      if (--it->second.refs == 0) st.meters.erase(it);
    }
    if (!keep_group) st.group_ids.erase(out.group.group_id);
  }

  // ---- rule building ----------------------------------------------------------------

  // A single policy's forward group is keyed by the policy's order (the paper's key) in the
  // lower half of the group range; every other group is hashed into the upper half, probing
  // past ids in use.
  std::uint32_t allocate_group(const SwitchState& st, const std::vector<TapKey>& members) const {
    const std::uint64_t keyed = opt.groups.size() / 2;
    if (members.size() == 1 && (members[0] & 1U) == 0 && tap_policy(members[0]) - 1ULL < keyed)
      return static_cast<std::uint32_t>(opt.groups.first + (tap_policy(members[0]) - 1ULL));
    const std::uint64_t base = opt.groups.first + keyed, span = opt.groups.size() - keyed;
    std::uint64_t offset = fnv1a(members) % span;
    for (std::uint64_t tried = 0; tried < span; ++tried, offset = (offset + 1) % span)
      if (!st.group_ids.contains(static_cast<std::uint32_t>(base + offset))) return static_cast<std::uint32_t>(base + offset);
    throw LimitError("filter", "no free group id in the group range " + opt.groups.to_string());
  }

  // The actions of one copy bucket, acquiring the marks, paths, copy rules and meters it
  // uses into `out`. OVS runs a bucket as an OpenFlow action set: pushes before set_fields
  // before the one final output, and it ignores meters and truncating outputs there. So a
  // bucket only marks and outputs; a meter (and truncation on the sender's switch) is
  // applied by a rule in the copy table the bucket resubmits to, and truncation of remote
  // copies by the recovery rule on the monitor's port.
  std::vector<Action> copy_bucket(const std::string& sw, const Match& m, const std::vector<const Tap*>& contributors,
                                  ElementOutput& out) {
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

  // Builds (and acquires what it needs for) the rule and group of one element.
  ElementOutput make_output(const std::string& sw, const Match& m, const Element& e,
                            std::optional<std::uint32_t> keep_group) {
    SwitchState& st = touch(sw);
    if (opt.priority + e.depth > 0xffff)
      throw LimitError("filter", "composed rules on " + sw + " nest " + std::to_string(e.depth) +
                                     " deep, beyond the highest OpenFlow priority above " + std::to_string(opt.priority));
    ElementOutput out;
    try {
      std::vector<const Tap*> members;
      for (TapKey k : e.taps) members.push_back(&taps.at(k));

      std::vector<Action> original;
      switch (opt.forwarding) {
        case Forwarding::path: {
          const Tap* to = *std::find_if(members.begin(), members.end(), [](const Tap* t) { return t->receiver; });
          original.push_back(OutputAction{*port_toward(sw, *to->receiver), std::nullopt});
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

      // One bucket per distinct copy destination (a monitor host, or a tunnel target), in
      // the order of their names.
      std::vector<std::vector<const Tap*>> targets;
      auto same_target = [](const Tap* a, const Tap* b) {
        return a->monitor ? a->monitor == b->monitor : !b->monitor && *a->policy->tunnel == *b->policy->tunnel;
      };
      for (const Tap* t : members) {
        auto it = std::find_if(targets.begin(), targets.end(), [&](const auto& g) { return same_target(g.front(), t); });
        if (it == targets.end()) targets.push_back({t});
        else it->push_back(t);
      }
      auto order = [](const std::vector<const Tap*>& g) {
        const Tap* t = g.front();
        return std::tuple(t->monitor != nullptr, t->monitor ? t->monitor->name : std::string(),
                          t->monitor ? TunnelTarget{} : *t->policy->tunnel);
      };
      if (targets.size() > 1)
        std::sort(targets.begin(), targets.end(), [&](const auto& a, const auto& b) { return order(a) < order(b); });
      std::uint32_t bucket_id = 1;
      for (const auto& contributors : targets) {
        out.group.buckets.push_back(Bucket{bucket_id++, copy_bucket(sw, m, contributors, out)});
        auto& owners = out.bucket_policies.emplace_back();
        for (const Tap* t : contributors) owners.push_back(t->policy->id);
        std::sort(owners.begin(), owners.end());
        owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
      }
      out.group.group_id = keep_group ? *keep_group : allocate_group(st, e.taps);
      st.group_ids.insert(out.group.group_id);

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

  // Gives every changed element rules matching its taps and depth: new state first, then
  // the old released, so marks and paths shared with the old state stay where they are.
  void sync(const std::string& sw, Partition& part, const std::vector<Partition::Changed>& changed) {
    for (const auto& [m, same_taps] : changed) {
      Element& e = part.elements().at(*m);
      std::optional<std::uint32_t> keep;
      if (e.out && same_taps) keep = e.out->group.group_id;
      ElementOutput fresh = make_output(sw, *m, e, keep);
      if (e.out) release(sw, *e.out, keep.has_value() || e.out->group.group_id == fresh.group.group_id);
      e.out = std::move(fresh);
    }
  }

  void insert_tap(const Tap& t) {
    const std::string& sw = t.sender->switch_name;
    Partition& part = touch(sw).partitions[t.sender->port];
    sync(sw, part, insert_closure(part, t, sw));
  }

  // Rebuilds the partition of `t` without it; elements that stay the same keep their rules.
  void erase_tap(const Tap& t) {
    const std::string& sw = t.sender->switch_name;
    auto& parts = touch(sw).partitions;
    auto found = parts.find(t.sender->port);
    if (found == parts.end()) return;
    Partition old = std::move(found->second);
    Partition fresh;
    for (TapKey k : old.keys())
      if (k != t.key) insert_closure(fresh, taps.at(k), sw);
    std::vector<Partition::Changed> changed;
    for (auto& [m, e] : fresh.elements()) {
      auto it = old.elements().find(m);
      if (it != old.elements().end() && it->second.taps == e.taps && it->second.depth == e.depth && it->second.out) {
        e.out = std::move(it->second.out);
        it->second.out.reset();
      } else {
        changed.push_back(Partition::Changed{&m, false});
      }
    }
    found->second = std::move(fresh);
    sync(sw, found->second, changed);
    for (auto& [m, e] : old.elements())
      if (e.out) release(sw, *e.out, false);
    // Group ids kept by moved outputs were erased by releases above only if they were
    // not moved; restore any id still in use.
    for (auto& [m, e] : found->second.elements()) touch(sw).group_ids.insert(e.out->group.group_id);
    if (found->second.keys().empty()) parts.erase(found);
  }
};

Translator::Translator(Topology topology, TranslatorOptions options)
    : state_(std::make_unique<State>(std::move(topology), options)) {}
Translator::~Translator() = default;
Translator::Translator(Translator&&) noexcept = default;
Translator& Translator::operator=(Translator&&) noexcept = default;

std::uint32_t Translator::add(TapPolicy policy) {
  State& s = *state_;
  s.changed_switches.clear();
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
  s.changed_switches.clear();
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

const std::set<std::string>& Translator::changed_switches() const noexcept { return state_->changed_switches; }

const Topology& Translator::topology() const noexcept { return state_->topo; }
const TranslatorOptions& Translator::options() const noexcept { return state_->opt; }

Match Translator::tap_match(const TapPolicy& policy, bool reverse) const {
  const Host* sender = state_->resolve(policy, reverse ? "receiver" : "sender", reverse ? policy.receiver : policy.sender);
  return state_->tap_match(policy, *sender, reverse);
}

SwitchPlan Translator::plan(const std::string& switch_name) const {
  SwitchPlan out;
  auto found = state_->switches.find(switch_name);
  if (found == state_->switches.end()) return out;
  const SwitchState& st = found->second;
  for (const auto& [id, m] : st.meters) out.meters.push_back(m.value);
  // Sorting pointers, then copying once, is much cheaper than sorting the rules.
  std::vector<const GroupEntry*> groups;
  std::vector<const FlowRule*> flows;
  for (const auto& [port, part] : st.partitions)
    for (const auto& [m, e] : part.elements()) {
      groups.push_back(&e.out->group);
      flows.push_back(&e.out->flow);
    }
  for (const auto& [key, r] : st.path_rules) flows.push_back(&r.value);
  for (const auto& [mark, r] : st.copy_rules) flows.push_back(&r.value);
  const auto by_value = [](const auto* a, const auto* b) { return *a < *b; };
  std::sort(groups.begin(), groups.end(), by_value);
  std::sort(flows.begin(), flows.end(), by_value);
  out.groups.reserve(groups.size());
  for (const auto* g : groups) out.groups.push_back(*g);
  out.flows.reserve(flows.size());
  for (const auto* f : flows) out.flows.push_back(*f);
  return out;
}

std::vector<TapRule> Translator::tap_rules(const std::string& switch_name) const {
  std::vector<TapRule> out;
  auto found = state_->switches.find(switch_name);
  if (found == state_->switches.end()) return out;
  for (const auto& [port, part] : found->second.partitions)
    for (const auto& [m, e] : part.elements()) {
      TapRule r{e.out->flow.cookie, e.out->group.group_id, {}, e.out->bucket_policies};
      for (TapKey k : e.taps) r.policies.push_back(tap_policy(k));
      std::sort(r.policies.begin(), r.policies.end());
      r.policies.erase(std::unique(r.policies.begin(), r.policies.end()), r.policies.end());
      out.push_back(std::move(r));
    }
  std::sort(out.begin(), out.end(), [](const TapRule& a, const TapRule& b) { return a.group_id < b.group_id; });
  return out;
}

Plan Translator::plan() const {
  Plan out;
  for (const auto& [name, st] : state_->switches) {
    SwitchPlan sp = plan(name);
    if (!sp.empty()) out.switches.emplace(name, std::move(sp));
  }
  return out;
}

Plan translate(const Topology& topology, std::span<const TapPolicy> policies, const TranslatorOptions& options) {
  Translator t(topology, options);
  for (const auto& p : policies) t.add(p);
  return t.plan();
}

}  // namespace vtap
