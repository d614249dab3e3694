// Installs a translated plan into one switch through a transport and prints, as one JSON
// line, the wall time from the first byte sent to the last barrier reply, and the CPU time
// this process spent. bench/install.py runs it beside `ovs-ofctl --bundle`.
//
//   bench_install --target unix:/path/br.mgmt --topology T.json --policies P.json [--switch s1]
//                 [--transport native|openvswitch] [--bundle-chunk N]
//
// Exits 3 when --transport names a transport this build lacks.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "libvtap/model/json.hpp"
#include "libvtap/transport/transport.hpp"
#include "libvtap/native/native_transport.hpp"
#include "libvtap/translate/translator.hpp"
#ifdef VTAP_WITH_OPENVSWITCH
#include "libvtap/openvswitch/transport.hpp"
#endif

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string target, topology, policies, name = "s1", transport_name = "native";
  vtap::openflow::SessionOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--target") target = value;
    else if (key == "--topology") topology = value;
    else if (key == "--policies") policies = value;
    else if (key == "--switch") name = value;
    else if (key == "--transport") transport_name = value;
    else if (key == "--bundle-chunk") options.bundle_chunk = std::stoul(value);
  }
  std::shared_ptr<vtap::Transport> transport;
  if (transport_name == "native") transport = vtap::make_native_transport();
#ifdef VTAP_WITH_OPENVSWITCH
  else if (transport_name == "openvswitch") transport = vtap::make_openvswitch_transport();
#endif
  if (!transport) {
    std::cerr << "bench_install: no transport \"" << transport_name << "\" in this build\n";
    return 3;
  }
  try {
    vtap::Translator translator(vtap::load_topology(topology));
    for (const auto& p : vtap::load_policies(policies)) translator.add(p);
    const vtap::SwitchPlan plan = translator.plan(name);

    auto connection = transport->connect(target, options);
    const double cpu_before = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    const vtap::openflow::InstallReport report = connection->install(plan);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"transport\": \"%s\", \"wall_s\": %.6f, \"cpu_s\": %.6f, \"flows\": %zu, \"groups\": %zu, "
                "\"bundles\": %zu}\n",
                transport_name.c_str(), wall,
                cpu_seconds() - cpu_before, plan.flows.size(), plan.groups.size(), report.bundle.bundles);
  } catch (const std::exception& e) {
    std::cerr << "bench_install: " << e.what() << "\n";
    return 1;
  }
}
