#pragma once
/// @file
/// Where a Service keeps its policies across restarts.

#include <filesystem>
#include <memory>
#include <vector>

#include "libvtap/model/policy.hpp"

namespace vtap {

/// A place that holds the policy set. save() replaces the whole set atomically.
class PolicyStore {
 public:
  virtual ~PolicyStore() = default;
  /// The saved policies (empty when nothing was saved yet). Throws ParseError on a corrupt store.
  virtual std::vector<TapPolicy> load() = 0;
  /// Replaces the saved set; on a throw the previous set is still there.
  virtual void save(const std::vector<TapPolicy>& policies) = 0;
};

/// A JSON policy file (the `vtapctl compile --policies` format), replaced atomically: the
/// new content is written beside it, flushed to disk, then renamed over it.
std::shared_ptr<PolicyStore> make_file_store(std::filesystem::path file);

}  // namespace vtap
