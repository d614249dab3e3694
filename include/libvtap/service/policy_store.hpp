#pragma once
/// @file
/// Where a Service keeps its policies across restarts.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "libvtap/model/policy.hpp"

namespace vtap {

/// A place that holds the policy set across restarts.
class PolicyStore {
 public:
  virtual ~PolicyStore() = default;
  /// The saved policies, by id (empty when nothing was saved yet). Throws ParseError on a
  /// corrupt store.
  virtual std::vector<TapPolicy> load() = 0;
  /// Replaces the saved set; on a throw the previous set is still there.
  virtual void save(const std::vector<TapPolicy>& policies) = 0;
  /// Records one change durably: policy `id` is now `policy`, or removed when null. Costs
  /// what the change costs, not the whole set. On a throw nothing was recorded.
  virtual void record(std::uint32_t id, const TapPolicy* policy) = 0;
};

/// A JSON policy file (the `vtapctl compile --policies` format) with a journal beside it
/// (`FILE.journal`, one JSON line per change, each flushed to disk before record()
/// returns). load() reads the file and replays the journal; a torn last line (a crash in
/// the middle of an append) is ignored. The journal is folded into the file (written
/// beside it, flushed, renamed over it) once it holds more lines than an eighth of the
/// policies, so small sets keep a complete file after every change and large ones pay
/// for a rewrite only now and then; also when the store is destroyed.
std::shared_ptr<PolicyStore> make_file_store(std::filesystem::path file);

}  // namespace vtap
