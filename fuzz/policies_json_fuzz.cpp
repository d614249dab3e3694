// Fuzzes the policy-file reader: any bytes either load or throw vtap::Error; loaded
// policies survive a JSON round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  try {
    const auto policies = vtap::policies_from_json(doc);
    if (vtap::policies_from_json(vtap::policies_to_json(policies)) != policies) std::abort();
  } catch (const vtap::Error&) {
  }
  return 0;
}
