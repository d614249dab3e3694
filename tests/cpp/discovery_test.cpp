// Topology discovery from real ovsdb-servers (with ovs-vswitchd assigning ofports and
// datapath ids): bridges, VM interfaces marked the OpenStack/OVN way, patch ports, a
// flow-based tunnel port, tunnels between two nodes, the watch API, and
// `vtapctl discover` output that `vtapctl compile` accepts.

#ifdef VTAP_WITH_OPENVSWITCH

#include "libvtap/openvswitch/discovery.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "ovs_process.hpp"
#include "prerequisite.hpp"

namespace vtap {
namespace {

using vtap::testing::OvsProcess;

bool have_ovs() { return std::system("command -v ovs-vswitchd >/dev/null 2>&1 || test -x /usr/sbin/ovs-vswitchd") == 0; }

std::string db_of(const OvsProcess& ovs) { return "unix:" + ovs.dir() + "/db.sock"; }

// A VM interface: a dummy port with the external_ids Nova/Neutron (or OVN) set.
std::string vm_port(const std::string& bridge, const std::string& name, int ofport, const std::string& mac,
                    const std::string& extra = "") {
  return "add-port " + bridge + " " + name + " -- set interface " + name + " type=dummy ofport_request=" +
         std::to_string(ofport) + " external_ids:attached-mac=" + mac + " external_ids:iface-id=port-" + name +
         " external_ids:vm-uuid=uuid-" + name + extra;
}

std::string patch_pair(const std::string& a_bridge, const std::string& a, int a_port, const std::string& b_bridge,
                       const std::string& b, int b_port) {
  return "add-port " + a_bridge + " " + a + " -- set interface " + a + " type=patch options:peer=" + b +
         " ofport_request=" + std::to_string(a_port) + " -- add-port " + b_bridge + " " + b + " -- set interface " +
         b + " type=patch options:peer=" + a + " ofport_request=" + std::to_string(b_port);
}

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void expect_same(const Topology& got, const Topology& want) {
  EXPECT_EQ(sorted(got.switches()), sorted(want.switches()));
  EXPECT_EQ(sorted(got.hosts()), sorted(want.hosts()));
  EXPECT_EQ(sorted(got.links()), sorted(want.links()));
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VTAP_REQUIRE(have_ovs(), "Open vSwitch is not installed");
    ovs_ = std::make_unique<OvsProcess>();
    ASSERT_TRUE(ovs_->ok()) << "could not start Open vSwitch in " << ovs_->dir();
    ASSERT_TRUE(ovs_->add_bridge("br-a", 0xa));
    ASSERT_TRUE(ovs_->add_bridge("br-b", 0xb));
    ASSERT_TRUE(ovs_->vsctl(patch_pair("br-a", "patch-ab", 10, "br-b", "patch-ba", 11)));
    ASSERT_TRUE(ovs_->vsctl(vm_port("br-a", "vm1", 1, "fa:00:00:00:00:01", " external_ids:ip=10.1.1.1")));
    ASSERT_TRUE(ovs_->vsctl(vm_port("br-b", "vm2", 2, "fa:00:00:00:00:02", " external_ids:ip=10.1.1.2")));
    ASSERT_TRUE(ovs_->vsctl(vm_port("br-b", "vm3", 3, "fa:00:00:00:00:03", " external_ids:ip=2001:db8::3")));
    // Not a VM: no attached-mac.
    ASSERT_TRUE(ovs_->vsctl("add-port br-a uplink -- set interface uplink type=dummy ofport_request=7"));
    ASSERT_TRUE(ovs_->vsctl("add-port br-a tun0 -- set interface tun0 type=vxlan options:remote_ip=flow "
                            "options:key=flow ofport_request=99"));
  }

  Topology expected() const {
    Topology t;
    t.add_switch(Switch{"br-a", 0xa, 99, {{"vxlan", 99}}});
    t.add_switch(Switch{"br-b", 0xb, std::nullopt, {}});
    t.add_host(Host{"port-vm1", MacAddress::parse("fa:00:00:00:00:01"), Ipv4Address::parse("10.1.1.1"), std::nullopt,
                    "br-a", 1, ""});
    t.add_host(Host{"port-vm2", MacAddress::parse("fa:00:00:00:00:02"), Ipv4Address::parse("10.1.1.2"), std::nullopt,
                    "br-b", 2, ""});
    t.add_host(Host{"port-vm3", MacAddress::parse("fa:00:00:00:00:03"), std::nullopt, Ipv6Address::parse("2001:db8::3"),
                    "br-b", 3, ""});
    t.add_link(Link{PortRef{"br-a", 10}, PortRef{"br-b", 11}});
    return t;
  }

  std::unique_ptr<OvsProcess> ovs_;
};

TEST_F(DiscoveryTest, FindsBridgesVmInterfacesPatchLinksAndTheTunnelPort) {
  expect_same(discover_topology({db_of(*ovs_)}), expected());
}

TEST_F(DiscoveryTest, WatchReportsVmInterfacesAddedMovedAndRemoved) {
  std::vector<HostChange> seen;
  TopologyWatch watch({db_of(*ovs_)}, [&](const Topology&, const std::vector<HostChange>& c) {
    seen.insert(seen.end(), c.begin(), c.end());
  });
  expect_same(watch.topology(), expected());
  auto wait_for = [&](std::size_t n) {
    for (int i = 0; i < 100 && seen.size() < n; ++i) watch.poll(std::chrono::milliseconds(100));
    return seen.size() >= n;
  };

  ASSERT_TRUE(ovs_->vsctl(vm_port("br-a", "vm4", 4, "fa:00:00:00:00:04")));
  ASSERT_TRUE(wait_for(1));
  EXPECT_EQ(seen[0].kind, HostChange::Kind::added);
  EXPECT_EQ(seen[0].host.name, "port-vm4");
  EXPECT_EQ(seen[0].host.port, 4U);

  // Moved: the VM's port goes to the other bridge (a live migration looks alike).
  ASSERT_TRUE(ovs_->vsctl("del-port br-a vm4 -- " + vm_port("br-b", "vm4", 5, "fa:00:00:00:00:04")));
  ASSERT_TRUE(wait_for(2));
  EXPECT_EQ(seen[1].kind, HostChange::Kind::moved);
  EXPECT_EQ(seen[1].host.switch_name, "br-b");
  ASSERT_TRUE(seen[1].before.has_value());
  EXPECT_EQ(seen[1].before->switch_name, "br-a");

  ASSERT_TRUE(ovs_->vsctl("del-port br-b vm4"));
  ASSERT_TRUE(wait_for(3));
  EXPECT_EQ(seen[2].kind, HostChange::Kind::removed);
  expect_same(watch.topology(), expected());
}

TEST_F(DiscoveryTest, VtapctlDiscoverPrintsATopologyThatCompileAccepts) {
  const std::string dir = ovs_->dir();
  const std::string vtapctl = VTAP_CTL;
  ASSERT_EQ(std::system((vtapctl + " discover --db " + db_of(*ovs_) + " > " + dir + "/topology.json").c_str()), 0);
  expect_same(load_topology(dir + "/topology.json"), expected());
  std::ofstream(dir + "/policies.json") << R"({"policies": [{"id": 1, "name": "p", "tenant": "",
      "sender": {"mac": "fa:00:00:00:00:01", "ip": "10.1.1.1"},
      "receiver": {"mac": "fa:00:00:00:00:02", "ip": "10.1.1.2"},
      "monitor": {"mac": "fa:00:00:00:00:03"}, "filter": "tcp"}]})";
  ASSERT_EQ(std::system((vtapctl + " compile --topology " + dir + "/topology.json --policies " + dir +
                         "/policies.json --out " + dir + "/out >/dev/null")
                            .c_str()),
            0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/br-a.flows"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/br-b.flows"));
}

TEST(Discovery, TunnelsBetweenNodesBecomeLinksAndSwitchesAreNamedByNode) {
  VTAP_REQUIRE(have_ovs(), "Open vSwitch is not installed");
  OvsProcess a, b;
  ASSERT_TRUE(a.ok() && b.ok());
  int n = 0;
  for (OvsProcess* node : {&a, &b}) {
    ++n;
    const std::string me = "192.0.2." + std::to_string(n), other = "192.0.2." + std::to_string(3 - n);
    ASSERT_TRUE(node->add_bridge("br-int", static_cast<unsigned>(n)));
    ASSERT_TRUE(node->vsctl("set open_vswitch . external_ids:hostname=node-" + std::to_string(n) +
                            " external_ids:ovn-encap-ip=" + me));
    ASSERT_TRUE(node->vsctl("add-port br-int to-other -- set interface to-other type=geneve options:remote_ip=" + other +
                            " ofport_request=" + std::to_string(20 + n)));
    ASSERT_TRUE(node->vsctl(vm_port("br-int", "vm" + std::to_string(n), n, "fa:00:00:00:00:0" + std::to_string(n))));
  }
  Topology want;
  want.add_switch(Switch{"node-1.br-int", 1, std::nullopt, {}});
  want.add_switch(Switch{"node-2.br-int", 2, std::nullopt, {}});
  want.add_host(Host{"port-vm1", MacAddress::parse("fa:00:00:00:00:01"), std::nullopt, std::nullopt, "node-1.br-int", 1, ""});
  want.add_host(Host{"port-vm2", MacAddress::parse("fa:00:00:00:00:02"), std::nullopt, std::nullopt, "node-2.br-int", 2, ""});
  want.add_link(Link{PortRef{"node-1.br-int", 21}, PortRef{"node-2.br-int", 22}});
  expect_same(discover_topology({db_of(a), db_of(b)}), want);
}

TEST(Discovery, ADatabaseThatDoesNotAnswerIsAnErrorNamingIt) {
  DiscoveryOptions o;
  o.timeout = std::chrono::milliseconds(300);
  try {
    discover_topology({"unix:/nonexistent/vtap-db.sock"}, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unix:/nonexistent/vtap-db.sock"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vtap

#endif  // VTAP_WITH_OPENVSWITCH
