#pragma once
/// @file
/// Turns TAP policies into OpenFlow state per switch (docs/design.md §4, paper §III-A, §IV-B).
///
/// For every policy the sender's edge switch gets a rewriting rule: a flow matching the
/// sender's port, the identifier fields and the filter, into a group of type ALL whose
/// bucket 0 forwards the original and whose other buckets send one copy per monitor.
/// Copies to a monitor on another switch are rewritten with a mark (an outer VLAN tag from a
/// reserved range, one per monitor) that steers them: transit switches forward marked
/// copies by explicit rules, and the monitor's edge switch runs the recovery rule: pop the
/// mark and output to the monitor, which so sees exactly what the receiver sees. Genuine
/// traffic never carries a reserved tag, so the recovery rule never touches it. With
/// `rewrite_destination` the copy also gets the monitor's MAC as destination, as in the
/// paper, and recovery restores the original; that costs a set_field per copy and one mark
/// per (monitor, original destination). A monitor on the sender's switch gets a plain output.
///
/// Overlapping policies are composed: the set of rewriting matches on one sender port is
/// closed under intersection, each element gets a priority above every element containing
/// it, and its group has one bucket per distinct monitor of the policies containing it, so
/// every packet reaches every matching monitor exactly once.
///
/// Output is deterministic: the same topology and policies give identical plans.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "libvtap/model/flow.hpp"
#include "libvtap/model/ownership.hpp"
#include "libvtap/model/plan.hpp"
#include "libvtap/model/policy.hpp"
#include "libvtap/model/topology.hpp"

namespace vtap {

/// How the original packet leaves the sender's edge switch (bucket 0).
enum class Forwarding : std::uint8_t {
  path,      ///< Output on the port toward the receiver on the topology's path (paper).
  normal,    ///< `output:NORMAL`: the switch's own L2 learning.
  resubmit,  ///< `resubmit(,T)`: continue in the switch's own pipeline at table T.
};
std::string to_string(Forwarding f);

/// Knobs of the translation; the defaults suit a bridge whose own rules sit below 40000.
struct TranslatorOptions {
  std::uint8_t table = 0;             ///< Table that holds every libvtap rule.
  std::uint16_t priority = 40000;     ///< Priority of transit/recovery rules and least-specific taps.
  Forwarding forwarding = Forwarding::path;
  /// Target table of Forwarding::resubmit. A table at or before `table` (OVN's br-int,
  /// whose table 0 maps ports into its pipeline) makes the original re-enter the taps: then
  /// rewriting rules match `metadata=0` and bucket 0 sets tapped_metadata before resubmitting,
  /// so each packet is tapped once. The pipeline must not rely on metadata's initial value
  /// (OVN loads all 64 bits at table 0).
  std::uint8_t resubmit_table = 1;
  std::uint16_t first_mark = 3000;    ///< First VLAN ID reserved for marking copies.
  std::uint16_t last_mark = 4094;     ///< Last reserved VLAN ID (inclusive).
  std::size_t max_composed = 4096;    ///< Bound on composed rules per sender port.
  bool rewrite_destination = false;   ///< Paper mode: copies carry the monitor's MAC in transit.
  std::uint8_t copy_table = 250;      ///< Table of the rules that meter and truncate copies.
  /// Group ids libvtap may use. A policy's own group is `groups.first + id - 1` (the paper
  /// keys groups by the order policies were added) while that lies in the lower half of the
  /// range; composed and reverse-direction groups, and policies beyond, take ids hashed into
  /// the upper half.
  IdRange groups = default_group_range;
  /// Meter ids libvtap may use: a rate-limited policy's meter is `meters.first + id - 1`.
  IdRange meters = default_meter_range;
  /// Marks assigned elsewhere (a cluster database, docs/design.md §6.7), by stream name (see
  /// Translator::marks()): a stream named here takes its mark, and new streams take the lowest
  /// reserved VLAN ID that is neither in use nor assigned here. Marks then do not depend on the
  /// order policies were added in, so every agent of a cluster computes the same ones.
  std::map<std::string, std::uint16_t> assigned_marks;
};

/// The metadata the original carries when resubmitted into the taps' own table.
inline constexpr std::uint64_t tapped_metadata = 1ULL << 63;

/// The groups and meters a translator with `options` owns.
inline Ownership ownership(const TranslatorOptions& options) { return {options.groups, options.meters}; }

/// One rewriting rule and the policies it serves, for per-policy counters.
struct TapRule {
  std::uint64_t cookie = 0;
  std::uint32_t group_id = 0;
  std::vector<std::uint32_t> policies;  ///< Policies whose traffic the rule matches (sorted).
  /// Per copy bucket (group bucket i+1): the policies whose monitor or tunnel it copies to.
  std::vector<std::vector<std::uint32_t>> buckets;
};

/// The translator: holds the topology and the installed policies, and keeps the plan of
/// every switch up to date as policies are added and removed (incrementally: an add or
/// remove recomputes only the sender port it touches and the copy paths it uses).
class Translator {
 public:
  explicit Translator(Topology topology, TranslatorOptions options = {});
  ~Translator();
  Translator(Translator&&) noexcept;
  Translator& operator=(Translator&&) noexcept;

  /// Validates `policy` against the topology and adds it. An id of 0 gets the next free
  /// id (one more than the largest so far). Returns the id. Throws PolicyError naming the
  /// policy and field; on a throw nothing has changed.
  std::uint32_t add(TapPolicy policy);
  /// Removes a policy. Throws Error when `id` is unknown.
  void remove(std::uint32_t id);

  const TapPolicy* find(std::uint32_t id) const noexcept;
  /// Every policy, by id.
  std::vector<const TapPolicy*> policies() const;
  const Topology& topology() const noexcept;
  const TranslatorOptions& options() const noexcept;

  /// The state of every switch that needs rules.
  Plan plan() const&;
  /// The same, moved out of a translator about to go (`std::move(t).plan()`, as translate()
  /// does): cheaper than a copy, and it leaves the translator fit only to be destroyed.
  Plan plan() &&;
  /// The state of one switch (empty when it needs none).
  SwitchPlan plan(const std::string& switch_name) const;
  /// Starts recording what add() and remove() change, dropping any recording under way.
  void begin_changes();
  /// What add() and remove() changed since begin_changes(), per switch, as small as the
  /// change (a change costs what it changes: callers send exactly this); stops recording.
  /// Calls that threw are included: what they changed and put back cancels out. Empty when
  /// nothing was recorded.
  PlanDelta take_changes();

  /// The mark of every stream in use, by stream name: the monitor (or `tunnel IP KEY`), then
  /// `,restore=MAC`, `,max_len=N` and `,meter=N` for copies that have them.
  std::map<std::string, std::uint16_t> marks() const;
  /// Adds `marks` to options().assigned_marks, as if they had been given at construction: for
  /// streams that have no mark yet, or already the one given. Returns false and changes
  /// nothing when a stream has another mark, or one of `marks` is another stream's. Throws
  /// Error, changing nothing, for a mark outside the mark range.
  bool assign_marks(const std::map<std::string, std::uint16_t>& marks);
  /// The rewriting rules of one switch with the policies they serve, by group id.
  std::vector<TapRule> tap_rules(const std::string& switch_name) const;

  /// The match a policy's rewriting rule uses at its sender port (forward direction), or
  /// its reverse for `reverse` (Direction::both). Throws PolicyError like add().
  Match tap_match(const TapPolicy& policy, bool reverse = false) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Translates a whole policy set at once. Throws like Translator::add.
Plan translate(const Topology& topology, std::span<const TapPolicy> policies,
               const TranslatorOptions& options = {});

}  // namespace vtap
