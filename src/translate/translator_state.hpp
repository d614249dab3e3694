#pragma once
// The translator's state (docs/design.md §4). Internal to src/translate/; Translator::State's
// member functions are defined by concept:
//
//   translator.cpp  the State itself and Translator's API: add/remove, plans, tap rules
//   validate.cpp    a policy checked against the topology and turned into taps (§4.1, §4.9)
//   compose.cpp     the closure of a sender port's taps and each element's rewriting rule
//                   and group: bucket 0, one copy bucket per target, group ids (§4.2, §4.3,
//                   §4.10, §4.11, §4.13)
//   marks.cpp       next hops, and the reference-counted state that elements share: marks,
//                   transit and recovery rules, copy-table rules, meters (§4.4-§4.8)

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "closure.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap::detail {

// A tap is one direction of one policy: the unit the closure composes.
using TapKey = ClosureKey;
using TapKeys = ClosureKeys;
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
std::string stream_name(const StreamKey& key);
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
  boost::container::small_vector<RouteKey, 1> routes;  // marked copies to remote monitors
  std::vector<StreamKey> copy_rules;   // copies finished in the copy table
  std::vector<std::uint32_t> meters;
};

// The taps that want copies sent to one target.
using Contributors = boost::container::small_vector<const Tap*, 2>;

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
  std::unordered_map<std::uint32_t, Partition> partitions;  // by sender port
  std::map<std::pair<std::uint32_t, std::uint16_t>, Counted<FlowRule>> path_rules;  // (in_port, mark)
  std::map<std::uint16_t, Counted<FlowRule>> copy_rules;  // by mark, in the copy table
  std::map<std::uint32_t, Counted<MeterEntry>> meters;
  // Group ids taken in the hashed half of the range. The keyed half needs no record: its
  // ids follow from the ids of policies, and each is the group of one element.
  std::set<std::uint32_t> hashed_group_ids;
};

// What a recorded change did to one switch: each entry counted +1 when it appeared and -1
// when it went, so entries that came and went again cancel out (Translator::take_changes).
struct SwitchChanges {
  std::map<FlowRule, int> flows;
  std::map<GroupEntry, int> groups;
  std::map<MeterEntry, int> meters;
};

// Thrown while building rules; add() turns it into a PolicyError for the policy at hand.
struct LimitError : Error {
  LimitError(std::string f, const std::string& what) : Error(what), field(std::move(f)) {}
  std::string field;
};

inline std::uint32_t fnv1a(const TapKeys& keys) noexcept {
  std::uint32_t h = 2166136261U;
  for (TapKey k : keys)
    for (int i = 0; i < 8; ++i) h = (h ^ static_cast<std::uint8_t>(k >> (8 * i))) * 16777619U;
  return h;
}

inline FieldBytes mac_bytes(const MacAddress& mac) {
  FieldBytes b{};
  std::copy(mac.bytes().begin(), mac.bytes().end(), b.begin());
  return b;
}
inline FieldBytes uint_bytes(Field f, std::uint64_t v) {
  FieldBytes b{};
  const std::size_t n = field_bytes(f);
  for (std::size_t i = 0; i < n; ++i) b[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return b;
}

inline std::string host_text(const Host& h) { return h.name + " (" + h.mac.to_string() + ")"; }

}  // namespace vtap::detail

namespace vtap {

// The translator's files use these names unqualified, as when they were one file.
using namespace detail;  // NOLINT(google-build-using-namespace): private header

struct Translator::State {
  Topology topo;
  TranslatorOptions opt;
  std::map<std::uint32_t, TapPolicy> policies;
  std::map<TapKey, Tap> taps;
  std::unordered_map<std::string, SwitchState> switches;
  std::map<StreamKey, Counted<std::uint16_t>> streams;  // value: mark
  std::map<RouteKey, Counted<std::uint16_t>> routes;  // value: the stream's mark
  std::set<std::uint16_t> free_marks;
  std::unordered_map<std::string, std::unordered_map<std::string, std::uint32_t>> next_hop_cache;
  std::map<PortRef, PortRef> peers;
  std::optional<std::map<std::string, SwitchChanges>> recording;  // between begin_ and take_changes()

  State(Topology t, TranslatorOptions o);

  // The state of switch `sw`, made when it has none yet.
  SwitchState& touch(const std::string& sw) { return switches[sw]; }

  // Notes that `entry` appeared on (+1) or went from (-1) switch `sw`, when recording.
  template <class Entry>
  void record(const std::string& sw, const Entry& entry, int sign) {
    if (!recording) return;
    auto& counts = [&]() -> auto& {
      SwitchChanges& c = (*recording)[sw];
      if constexpr (std::is_same_v<Entry, FlowRule>) return c.flows;
      else if constexpr (std::is_same_v<Entry, GroupEntry>) return c.groups;
      else return c.meters;
    }();
    auto [it, inserted] = counts.try_emplace(entry, 0);
    if ((it->second += sign) == 0) counts.erase(it);
  }
  // Notes the rule and group of an element as appeared (+1) or gone (-1).
  void record(const std::string& sw, const ElementOutput& out, int sign) {
    record(sw, out.flow, sign);
    record(sw, out.group, sign);
  }

  // Whether the original, resubmitted into the switch's pipeline, reaches the taps again.
  bool reenters_taps() const noexcept { return opt.forwarding == Forwarding::resubmit && opt.resubmit_table <= opt.table; }

  // Each member function is commented where it is defined.

  // ---- validation (validate.cpp) ----------------------------------------------------

  const Host* resolve(const TapPolicy& p, const char* field, const Endpoint& e) const;
  static void add_endpoint(Match& m, const Endpoint& e, bool source);
  Match tap_match(const TapPolicy& p, const Host& sender_host, bool reverse) const;
  std::vector<Tap> validate(const TapPolicy& p);

  // ---- paths and shared resources (marks.cpp) ---------------------------------------

  std::optional<std::uint32_t> next_hop(const std::string& from, const std::string& to);
  std::optional<std::uint32_t> port_toward(const std::string& from, const Host& to);
  std::vector<Hop> hops_to(const std::string& from, const Host& monitor);

  std::uint16_t acquire_mark(const StreamKey& key);
  bool assign_marks(const std::map<std::string, std::uint16_t>& marks);
  void release_mark(const StreamKey& key);
  std::uint16_t acquire_route(const RouteKey& rk, const Host& monitor);
  void release_route(const RouteKey& rk);
  void add_path_rule(const Hop& hop, std::uint16_t mark, const Host& monitor, const StreamKey& stream);
  void acquire_copy_rule(const std::string& sw, const StreamKey& key, std::uint16_t mark, std::vector<Action> finish);
  void release_copy_rule(const std::string& sw, const StreamKey& key);
  std::uint32_t meter_id(const TapPolicy& p) const;
  void acquire_meter(const std::string& sw, const TapPolicy& p);

  // ---- composition and rule building (compose.cpp) ----------------------------------

  std::vector<Partition::Changed> insert_closure(Partition& part, const Tap& t, const std::string& sw);
  std::uint32_t allocate_group(const SwitchState& st, const TapKeys& members) const;
  std::vector<Contributors> copy_targets(const TapKeys& members) const;
  bool keyed_group(std::uint32_t group_id) const noexcept { return group_id - opt.groups.first < opt.groups.size() / 2; }
  std::vector<Action> copy_bucket(const std::string& sw, const Match& m, const Contributors& contributors,
                                  ElementOutput& out);
  ElementOutput make_output(const std::string& sw, const Match& m, const Element& e,
                            std::optional<std::uint32_t> keep_group);
  void release(const std::string& sw, const ElementOutput& out, bool keep_group);
  void retire(const std::string& sw, const ElementOutput& out, bool keep_group);
  void sync(const std::string& sw, const std::vector<Partition::Changed>& changed);
  void insert_tap(const Tap& t);
  void erase_tap(const Tap& t);
};

}  // namespace vtap
