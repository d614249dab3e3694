// A translator kept in step with the cluster's views (cluster_translator.hpp).

#include "libvtap/cluster/cluster_translator.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include "libvtap/model/error.hpp"

namespace vtap {

ClusterTranslator::ClusterTranslator(RowPolicies row_policies, TranslatorOptions options)
    : row_policies_(std::move(row_policies)), options_(std::move(options)) {}

ClusterTranslator ClusterTranslator::for_node(std::string node, TranslatorOptions options) {
  const TranslatorOptions footprint_options = options;
  return ClusterTranslator(
      [node = std::move(node), footprint_options](const PolicyRow& row, const Topology& topology,
                                                  const std::map<std::string, std::uint16_t>& marks) {
        return row_policies(row, topology, node, footprint_options, marks);
      },
      std::move(options));
}

ClusterTranslator ClusterTranslator::for_specs(TranslatorOptions options) {
  return ClusterTranslator(
      [](const PolicyRow& row, const Topology&, const std::map<std::string, std::uint16_t>&) {
        return row.spec ? std::vector{*row.spec} : std::vector<TapPolicy>{};
      },
      std::move(options));
}

SwitchPlan ClusterTranslator::plan(const std::string& switch_name) const {
  return translator_ ? translator_->plan(switch_name) : SwitchPlan{};
}

std::string ClusterTranslator::errors() const {
  std::string out;
  for (const auto& [id, why] : failed_) out += (out.empty() ? "" : "; ") + why;
  return out;
}

void ClusterTranslator::add(const TapPolicy& p) {
  try {
    translator_->add(p);
  } catch (const PolicyError& e) {
    failed_[p.id] = e.what();
  }
}

bool ClusterTranslator::remove(std::uint32_t id) {
  if (failed_.erase(id)) return false;
  translator_->remove(id);
  return true;
}

// Translates `rows` in id order, each row's previous version (previous_id_bit) after every
// current one, as node_policies() lists them: a translator built anew is the same whatever
// came before.
void ClusterTranslator::take_in(const std::vector<const PolicyRow*>& rows, const ClusterView& view,
                                const Topology& topology) {
  std::vector<TapPolicy> previous;
  for (const PolicyRow* row : rows) {
    Held& held = rows_[row->id] = Held{row->uuid, row->generation, {}};
    for (TapPolicy& p : row_policies_(*row, topology, view.marks)) {
      held.ids.push_back(p.id);
      if (p.id & previous_id_bit) previous.push_back(std::move(p));
      else add(p);
    }
  }
  for (const TapPolicy& p : previous) add(p);
}

bool ClusterTranslator::drop(Rows::iterator row) {
  bool freed = false;
  for (std::uint32_t id : row->second.ids) freed = remove(id) || freed;
  rows_.erase(row);
  return freed;
}

// Tries again every policy that failed, as a translator built anew would: what left may have
// been what it wanted (room in its sender port's closure, a group id).
void ClusterTranslator::retry_failed(const ClusterView& view, const Topology& topology) {
  const std::map<std::uint32_t, std::string> waiting = std::exchange(failed_, {});
  for (const auto& [id, why] : waiting) {
    const PolicyRow& row = view.policies.at(id & ~previous_id_bit);
    for (const TapPolicy& p : row_policies_(row, topology, view.marks))
      if (p.id == id) add(p);
  }
}

// Whether the translator now has `marks` as its assigned marks. The database only adds
// marks (a new stream's, with the first policy that uses it), and the translator takes those
// as they come; any other change needs a translator built anew.
bool ClusterTranslator::takes_marks(const std::map<std::string, std::uint16_t>& marks) {
  const auto& held = translator_->options().assigned_marks;
  if (marks == held) return true;
  std::map<std::string, std::uint16_t> added;
  std::set_difference(marks.begin(), marks.end(), held.begin(), held.end(), std::inserter(added, added.end()));
  return held.size() + added.size() == marks.size() && translator_->assign_marks(added);
}

std::optional<PlanDelta> ClusterTranslator::follow(const ClusterView& view, const Topology& topology) {
  std::vector<const PolicyRow*> fresh;
  if (!translator_ || view.nodes_version != nodes_version_ || !takes_marks(view.marks)) {
    TranslatorOptions options = options_;
    options.assigned_marks = view.marks;
    translator_ = std::make_unique<Translator>(topology, std::move(options));  // may throw: nothing changed yet
    nodes_version_ = view.nodes_version;
    rows_.clear();
    failed_.clear();
    for (const auto& [id, row] : view.policies) fresh.push_back(&row);
    take_in(fresh, view, topology);
    followed_ = view.policies;
    return std::nullopt;
  }
  // Rows gone or rewritten leave first, so that what they held is free for what comes in.
  // Only the rows the view does not share with the one followed last can have moved.
  translator_->begin_changes();
  bool freed = false;
  for (std::uint32_t id : view.policies.changed_keys(followed_)) {
    auto held = rows_.find(id);
    auto row = view.policies.find(id);
    if (held != rows_.end()) {
      if (row != view.policies.end() && held->second.uuid == row->second.uuid &&
          held->second.generation == row->second.generation)
        continue;
      freed = drop(held) || freed;
    }
    if (row != view.policies.end()) fresh.push_back(&row->second);
  }
  followed_ = view.policies;
  if (freed) retry_failed(view, topology);
  take_in(fresh, view, topology);
  return translator_->take_changes();
}

std::map<std::string, std::uint16_t> ClusterTranslator::marks_with(const TapPolicy& policy, std::uint32_t replacing) {
  if (!translator_) throw Error("the cluster's translator has no view yet");
  Translator& t = *translator_;
  std::optional<TapPolicy> old;
  if (const TapPolicy* held = replacing ? t.find(replacing) : nullptr) {
    old = *held;
    t.remove(replacing);
  }
  auto put_back = [&] {
    if (old) add(*old);  // into failed_ should it no longer fit
  };
  try {
    t.add(policy);
  } catch (...) {
    put_back();
    throw;
  }
  auto marks = t.marks();
  t.remove(policy.id);
  put_back();
  return marks;
}

}  // namespace vtap
