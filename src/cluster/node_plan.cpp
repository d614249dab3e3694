// One node's translator kept in step with the cluster (node_plan.hpp).

#include "libvtap/cluster/node_plan.hpp"

#include <utility>

#include "libvtap/model/error.hpp"

namespace vtap {

NodePlan::NodePlan(std::string node, TranslatorOptions options) : node_(std::move(node)), options_(std::move(options)) {}

SwitchPlan NodePlan::plan(const std::string& switch_name) const {
  return translator_ ? translator_->plan(switch_name) : SwitchPlan{};
}

std::string NodePlan::errors() const {
  std::string out;
  for (const auto& [id, why] : failed_) out += (out.empty() ? "" : "; ") + why;
  return out;
}

void NodePlan::add(const TapPolicy& p) {
  try {
    translator_->add(p);
  } catch (const PolicyError& e) {
    failed_[p.id] = e.what();
  }
}

void NodePlan::remove(std::uint32_t id) {
  if (failed_.erase(id) == 0) translator_->remove(id);
}

// Translates `rows` in the order of node_policies(): their current versions by id, then the
// previous ones; so a translator built anew is the same whatever came before.
void NodePlan::take_in(const std::vector<const PolicyRow*>& rows, const ClusterView& view, const Topology& topology) {
  std::vector<TapPolicy> previous;
  for (const PolicyRow* row : rows) {
    Held& held = rows_[row->id] = Held{row->uuid, row->generation, {}};
    for (TapPolicy& p : row_policies(*row, topology, node_, options_, view.marks)) {
      held.ids.push_back(p.id);
      if (p.id & previous_id_bit) previous.push_back(std::move(p));
      else add(p);
    }
  }
  for (const TapPolicy& p : previous) add(p);
}

NodePlan::Rows::iterator NodePlan::drop(Rows::iterator row) {
  for (std::uint32_t id : row->second.ids) remove(id);
  return rows_.erase(row);
}

std::optional<PlanDelta> NodePlan::update(const ClusterView& view, const Topology& topology) {
  std::vector<const PolicyRow*> fresh;
  if (!translator_ || view.nodes_version != nodes_version_ || view.marks != translator_->options().assigned_marks) {
    TranslatorOptions options = options_;
    options.assigned_marks = view.marks;
    translator_ = std::make_unique<Translator>(topology, std::move(options));
    nodes_version_ = view.nodes_version;
    rows_.clear();
    failed_.clear();
    for (const auto& [id, row] : view.policies) fresh.push_back(&row);
    take_in(fresh, view, topology);
    return std::nullopt;
  }
  // Rows gone or rewritten leave first, so that what they held is free for what comes in.
  // Both maps are by id: one walk finds them, and the rows new or rewritten.
  translator_->begin_changes();
  auto held = rows_.begin();
  for (const auto& [id, row] : view.policies) {
    while (held != rows_.end() && held->first < id) held = drop(held);
    if (held != rows_.end() && held->first == id) {
      if (held->second.uuid == row.uuid && held->second.generation == row.generation) {
        ++held;
        continue;
      }
      held = drop(held);
    }
    fresh.push_back(&row);
  }
  while (held != rows_.end()) held = drop(held);
  take_in(fresh, view, topology);
  return translator_->take_changes();
}

}  // namespace vtap
