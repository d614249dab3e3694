// Fuzzes the topology-file reader: any bytes either load or throw vtap::Error; a loaded
// topology survives a JSON round trip, and path queries on it terminate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  try {
    const auto topo = doc.get<vtap::Topology>();
    const nlohmann::json again = topo;
    if (again.get<vtap::Topology>().hosts() != topo.hosts()) std::abort();
    for (const auto& h : topo.hosts())
      for (const auto& s : topo.switches()) (void)topo.path(s.name, 1, h);
  } catch (const vtap::Error&) {
  }
  return 0;
}
