// Translates one policy on a one-switch topology and opens the native transport: enough to
// prove the installed headers, libraries and their dependencies link together.
#include <iostream>

#include <libvtap/translate/translator.hpp>
#include <libvtap/transport/transport.hpp>
#include <libvtap/native/native_transport.hpp>

int main() {
  vtap::Topology topology;
  topology.add_switch({"s1", 1, std::nullopt});
  for (unsigned i = 1; i <= 3; ++i) {
    topology.add_host({"vm" + std::to_string(i), vtap::MacAddress::parse("fa:00:00:00:00:0" + std::to_string(i)),
                       vtap::Ipv4Address::parse("10.1.1." + std::to_string(i)), std::nullopt, "s1", i, "t1"});
  }
  vtap::Translator translator(std::move(topology));
  vtap::TapPolicy policy;
  policy.id = 1;
  policy.sender.ip = vtap::Ipv4Address::parse("10.1.1.1");
  policy.receiver.ip = vtap::Ipv4Address::parse("10.1.1.2");
  policy.monitor.ip = vtap::Ipv4Address::parse("10.1.1.3");
  policy.filter = vtap::Match::parse("tcp,tp_dst=80");
  translator.add(policy);
  for (const auto& flow : translator.plan("s1").flows) std::cout << flow.to_string() << "\n";
  std::cout << "transport " << vtap::make_native_transport()->name() << "\n";
  return 0;
}
