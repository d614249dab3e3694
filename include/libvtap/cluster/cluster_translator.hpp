#pragma once
/// @file
/// A translator kept in step with the cluster's views (docs/design.md §6.7). For each Policy
/// row it holds the policies a RowPolicies function picks: what one node installs (an agent's,
/// for_node()), or every row's current version (a vtapd's, for_specs(), to validate writes
/// against). A change of some rows costs what those rows change: their policies leave the
/// translator and come in again, and the translator reports the delta of every switch. New
/// marks are taken as they come (Translator::assign_marks); new nodes, or marks changed or
/// gone, build it anew from every row.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap {

class ClusterTranslator {
 public:
  /// The policies held for one row, given the view's topology and marks. A policy whose id
  /// has previous_id_bit is added after every other.
  using RowPolicies = std::function<std::vector<TapPolicy>(const PolicyRow&, const Topology&,
                                                           const std::map<std::string, std::uint16_t>& marks)>;

  /// Translates with `options`; their assigned marks are each view's.
  ClusterTranslator(RowPolicies row_policies, TranslatorOptions options);
  /// What node `node` installs (row_policies(), the phase table): an agent's plan.
  static ClusterTranslator for_node(std::string node, TranslatorOptions options);
  /// Every row's current version (PolicyRow::spec): what a vtapd checks writes against.
  static ClusterTranslator for_specs(TranslatorOptions options);

  /// Brings the translator to `view` over `topology`, the topology of `view`'s nodes.
  /// Returns what changed on each switch, or nullopt when the translator was built anew (the
  /// first time, and after the nodes changed or a mark changed or went): then every switch
  /// must be brought to its whole plan. Throws Error when the view's marks are outside the options'
  /// mark range; it is then left as it was.
  std::optional<PlanDelta> follow(const ClusterView& view, const Topology& topology);

  /// The marks of every stream with `policy` added in place of the policy with id
  /// `replacing` (0: none), having checked it against every policy held; the translator is
  /// left as it was. Throws PolicyError like Translator::add, and Error before follow().
  std::map<std::string, std::uint16_t> marks_with(const TapPolicy& policy, std::uint32_t replacing = 0);

  /// The translator holding every policy that resolves; null before the first follow().
  const Translator* translator() const noexcept { return translator_.get(); }
  /// The switch's whole plan (empty before the first follow()).
  SwitchPlan plan(const std::string& switch_name) const;
  /// The policies held that do not translate here: id → `policy N: ...`.
  const std::map<std::uint32_t, std::string>& failed() const noexcept { return failed_; }
  /// failed()'s messages joined by "; " in id order; "" when every policy translates.
  std::string errors() const;

 private:
  struct Held {
    std::string uuid;
    std::uint64_t generation = 0;
    std::vector<std::uint32_t> ids;  // the ids its policies were added under
  };
  using Rows = std::map<std::uint32_t, Held>;  // by policy id, as last translated
  void take_in(const std::vector<const PolicyRow*>& rows, const ClusterView& view, const Topology& topology);
  bool drop(Rows::iterator row);  // whether a policy left the translator
  void retry_failed(const ClusterView& view, const Topology& topology);
  bool takes_marks(const std::map<std::string, std::uint16_t>& marks);
  void add(const TapPolicy& p);
  bool remove(std::uint32_t id);  // whether it left the translator (it had not failed)

  RowPolicies row_policies_;
  TranslatorOptions options_;
  std::unique_ptr<Translator> translator_;
  std::uint64_t nodes_version_ = 0;
  Rows rows_;
  PolicyTable followed_;  // the view's rows that rows_ follows
  std::map<std::uint32_t, std::string> failed_;
};

}  // namespace vtap
