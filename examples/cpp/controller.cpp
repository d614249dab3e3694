// A small vTAP controller: keeps the policies of a file on running Open vSwitch bridges,
// repairs them when a switch restarts, and prints events and per-policy counters.
//
//   vtap_controller TOPOLOGY.json POLICIES.json NAME=TARGET... [--seconds N]
//   vtap_controller examples/fig4/topology.json examples/fig4/policies.json \
//       s1=unix:/var/run/openvswitch/s1.mgmt s2=unix:/var/run/openvswitch/s2.mgmt

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <libvtap/model/json.hpp>
#include <libvtap/service/service.hpp>
#include <libvtap/native/native_transport.hpp>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: vtap_controller TOPOLOGY.json POLICIES.json NAME=TARGET... [--seconds N]\n";
    return 2;
  }
  std::map<std::string, std::string> targets;
  int seconds = 10;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) seconds = std::atoi(argv[++i]);
    else if (auto eq = arg.find('='); eq != std::string::npos) targets[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  try {
    vtap::Service service(vtap::load_topology(argv[1]), targets, vtap::make_native_transport());
    service.on_event([](const vtap::ServiceEvent& e) {
      std::cout << "event " << vtap::to_string(e.kind) << " " << e.switch_name << ": " << e.detail << std::endl;
    });
    service.start(std::chrono::seconds(1));  // reconcile now and every second
    for (auto& policy : vtap::load_policies(argv[2])) service.add(policy);
    for (int t = 0; t < seconds; ++t) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      for (const auto& [id, s] : service.stats())
        std::cout << "policy " << id << ": " << s.packets << " packets matched, " << s.copies << " copies\n";
    }
    std::cout << "connected: " << service.connected().size() << " of " << targets.size() << " switches" << std::endl;
  } catch (const vtap::Error& e) {
    std::cerr << "vtap_controller: " << e.what() << "\n";
    return 1;
  }
}
