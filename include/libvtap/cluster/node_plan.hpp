#pragma once
/// @file
/// One node's translator, kept in step with the cluster (docs/design.md §6.7): what an agent
/// installs. A change of some Policy rows costs what those rows change: their policies are
/// taken out of the translator and put in again, and the translator reports the delta of
/// every switch. A new topology or new marks build it anew from every row.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libvtap/cluster/cluster_view.hpp"
#include "libvtap/translate/translator.hpp"

namespace vtap {

class NodePlan {
 public:
  /// The plan of node `node`, translated with `options` (their assigned marks are the view's).
  NodePlan(std::string node, TranslatorOptions options);

  /// Brings the translator to `view` over `topology`, the topology of `view`'s nodes.
  /// Returns what changed on each switch, or nullopt when the translator was built anew
  /// (the first time, and after the nodes or the marks changed): then every switch must be
  /// brought to its whole plan.
  std::optional<PlanDelta> update(const ClusterView& view, const Topology& topology);

  /// The translator holding every policy that resolves; null before the first update().
  const Translator* translator() const noexcept { return translator_.get(); }
  /// The switch's whole plan (empty before the first update()).
  SwitchPlan plan(const std::string& switch_name) const;
  /// What is wrong with the policies that do not translate here, one `policy N: ...` each,
  /// joined by "; " in id order; "" when every one does.
  std::string errors() const;

 private:
  struct Held {
    std::string uuid;
    std::uint64_t generation = 0;
    std::vector<std::uint32_t> ids;  // the ids it added, a previous version's with previous_id_bit
  };
  using Rows = std::map<std::uint32_t, Held>;  // by policy id, as last translated
  void take_in(const std::vector<const PolicyRow*>& rows, const ClusterView& view, const Topology& topology);
  Rows::iterator drop(Rows::iterator row);
  void add(const TapPolicy& p);
  void remove(std::uint32_t id);

  std::string node_;
  TranslatorOptions options_;
  std::unique_ptr<Translator> translator_;
  std::uint64_t nodes_version_ = 0;
  Rows rows_;
  std::map<std::uint32_t, std::string> failed_;  // id -> why it does not translate
};

}  // namespace vtap
