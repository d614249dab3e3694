// `vtapctl discover`: the topology of Open vSwitch databases, as JSON for --topology.

#include <iostream>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "options.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/discovery.hpp"
#endif

int discover(const Options& o) {
  if (o.databases.empty()) throw UsageError("discover: at least one --db REMOTE is required");
#ifdef VTAP_WITH_OPENVSWITCH
  vtap::DiscoveryOptions options;
  options.timeout = o.session.request_timeout;
  try {
    const vtap::Topology topology = vtap::discover_topology(o.databases, options);
    std::cout << nlohmann::json(topology).dump(2) << "\n";
    return 0;
  } catch (const vtap::Error& e) {
    std::cerr << "vtapctl: discover: " << e.what() << "\n";
    return 1;
  }
#else
  throw UsageError("discover: this vtapctl was built without libopenvswitch (VTAP_WITH_OPENVSWITCH=OFF)");
#endif
}
