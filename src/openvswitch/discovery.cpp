// Topology discovery through the OVSDB IDL (ovs_db.h); see include/libvtap/discovery.hpp
// for what is read and how it is named.

#include "libvtap/openvswitch/discovery.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "libvtap/model/error.hpp"
#include "ovs_codec.hpp"
#include "ovs_db.h"

namespace vtap {
namespace {

struct DbClose {
  void operator()(vtap_ovs_db* db) const noexcept { vtap_ovs_db_close(db); }
};
using Db = std::unique_ptr<vtap_ovs_db, DbClose>;

// One interface, copied out of the IDL.
struct Iface {
  std::string bridge, datapath_id, dpid_config, name, type;
  std::int64_t ofport = -1;
  std::string attached_mac, iface_id, vm_uuid, ip, tenant, peer, remote_ip, local_ip;
  auto operator<=>(const Iface&) const = default;
};

struct Node {
  std::string remote;
  std::string name;                 // Prefix of switch names ("" with one database).
  std::set<std::string> local_ips;  // Where other nodes' tunnels reach this node.
  std::vector<Iface> ifaces;        // Sorted by bridge, then name.
};

const std::set<std::string>& tunnel_types() {
  static const std::set<std::string> types{"vxlan", "gre", "geneve", "stt", "lisp", "erspan",
                                           "ip6erspan", "ip6gre", "gtpu", "bareudp"};
  return types;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

Db open_db(const std::string& remote, const DiscoveryOptions& options) {
  ovs::init_once();
  ovs::SigpipeGuard guard;
  Db db(vtap_ovs_db_open(remote.c_str()));
  if (!vtap_ovs_db_sync(db.get(), options.timeout.count())) {
    const int error = vtap_ovs_db_last_error(db.get());
    throw Error("OVSDB " + remote + ": no answer within " + std::to_string(options.timeout.count()) + " ms" +
                (error ? std::string(" (") + std::strerror(error) + ")" : std::string()));
  }
  return db;
}

Node read_node(vtap_ovs_db* db, const std::string& remote) {
  Node node;
  node.remote = remote;
  vtap_ovs_db_for_each_iface(
      db,
      [](void* context, const vtap_ovs_iface* r) {
        static_cast<Node*>(context)->ifaces.push_back(Iface{r->bridge, r->datapath_id, r->bridge_dpid_config, r->name,
                                                            r->type, r->ofport, r->attached_mac, r->iface_id,
                                                            r->vm_uuid, r->ip, r->tenant, r->peer, r->remote_ip,
                                                            r->local_ip});
      },
      &node);
  std::sort(node.ifaces.begin(), node.ifaces.end());
  for (const std::string& ip : split(vtap_ovs_db_system_id(db, "ovn-encap-ip"), ',')) node.local_ips.insert(ip);
  for (const std::string& ip : split(vtap_ovs_db_system_id(db, "vtap-local-ip"), ',')) node.local_ips.insert(ip);
  for (const Iface& i : node.ifaces)
    if (tunnel_types().contains(i.type) && !i.local_ip.empty() && i.local_ip != "flow") node.local_ips.insert(i.local_ip);
  node.name = vtap_ovs_db_system_id(db, "hostname");
  if (node.name.empty()) node.name = vtap_ovs_db_system_id(db, "system-id");
  return node;
}

std::uint64_t parse_dpid(const Iface& i, const Node& node) {
  const std::string& text = !i.datapath_id.empty() ? i.datapath_id : i.dpid_config;
  if (text.empty())
    throw TopologyError("OVSDB " + node.remote + ": bridge " + i.bridge +
                        " has no datapath_id (is ovs-vswitchd running?) and no other_config:datapath-id");
  std::size_t used = 0;
  std::uint64_t dpid = 0;
  try {
    dpid = std::stoull(text.starts_with("0x") ? text.substr(2) : text, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() - (text.starts_with("0x") ? 2 : 0))
    throw TopologyError("OVSDB " + node.remote + ": bridge " + i.bridge + " has datapath id '" + text +
                        "', not a hexadecimal number");
  return dpid;
}

// ofport as an OpenFlow port number, or nullopt for none, -1 or LOCAL.
std::optional<std::uint32_t> usable_port(const Iface& i) {
  if (i.name.empty() || i.ofport <= 0 || i.ofport >= 0xff00) return std::nullopt;
  return static_cast<std::uint32_t>(i.ofport);
}

Topology build(std::vector<Node>& nodes) {
  const bool prefixed = nodes.size() > 1;
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    if (!prefixed) nodes[n].name.clear();
    else if (nodes[n].name.empty()) nodes[n].name = "node" + std::to_string(n + 1);
  }
  auto switch_name = [&](const Node& node, const std::string& bridge) {
    return prefixed ? node.name + "." + bridge : bridge;
  };

  Topology t;
  // Switches, with their flow-based tunnel port.
  for (const Node& node : nodes) {
    std::map<std::string, Switch> switches;
    for (const Iface& i : node.ifaces) {
      auto [it, fresh] = switches.try_emplace(i.bridge);
      if (fresh) it->second = Switch{switch_name(node, i.bridge), parse_dpid(i, node), std::nullopt, {}};
      const auto port = usable_port(i);
      if (!port || !tunnel_types().contains(i.type) || i.remote_ip != "flow") continue;
      if (!it->second.tunnel_port || *port < *it->second.tunnel_port) it->second.tunnel_port = *port;
      if (i.type == "vxlan" || i.type == "gre" || i.type == "erspan" || i.type == "geneve") {
        auto [typed, first] = it->second.tunnel_ports.try_emplace(i.type, *port);
        if (!first && *port < typed->second) typed->second = *port;
      }
    }
    for (auto& [bridge, s] : switches) t.add_switch(std::move(s));
  }
  // Hosts: interfaces marked the OpenStack/OVN way.
  for (const Node& node : nodes)
    for (const Iface& i : node.ifaces) {
      const auto port = usable_port(i);
      if (i.attached_mac.empty() || !port) continue;
      const std::string where = "OVSDB " + node.remote + ": interface " + i.name;
      Host h;
      h.name = !i.iface_id.empty() ? i.iface_id : (prefixed ? node.name + "." + i.name : i.name);
      h.switch_name = switch_name(node, i.bridge);
      h.port = *port;
      h.tenant = i.tenant;
      try {
        h.mac = MacAddress::parse(i.attached_mac);
        if (!i.ip.empty()) {
          const IpAddress ip = IpAddress::parse(i.ip);
          if (ip.is_v4()) h.ip = ip.v4();
          else h.ipv6 = ip.v6();
        }
        t.add_host(std::move(h));
      } catch (const Error& e) {
        throw TopologyError(where + ": " + e.what());
      }
    }
  // Links: patch port pairs within a node (each pair once).
  for (const Node& node : nodes) {
    std::map<std::string, const Iface*> by_name;
    for (const Iface& i : node.ifaces) by_name[i.name] = &i;
    for (const Iface& i : node.ifaces) {
      if (i.type != "patch" || i.peer.empty() || !(i.name < i.peer)) continue;
      auto peer = by_name.find(i.peer);
      if (peer == by_name.end() || peer->second->type != "patch" || peer->second->peer != i.name) continue;
      const auto a = usable_port(i), b = usable_port(*peer->second);
      if (!a || !b) continue;
      t.add_link(Link{PortRef{switch_name(node, i.bridge), *a}, PortRef{switch_name(node, peer->second->bridge), *b}});
    }
  }
  // Links: tunnels between nodes whose remote_ip is the other's local IP, both ways.
  for (std::size_t a = 0; a < nodes.size(); ++a)
    for (std::size_t b = a + 1; b < nodes.size(); ++b) {
      auto tunnel_to = [](const Node& from, const Node& to) -> const Iface* {
        for (const Iface& i : from.ifaces)
          if (tunnel_types().contains(i.type) && usable_port(i) && to.local_ips.contains(i.remote_ip)) return &i;
        return nullptr;
      };
      const Iface* ab = tunnel_to(nodes[a], nodes[b]);
      const Iface* ba = tunnel_to(nodes[b], nodes[a]);
      if (!ab || !ba) continue;
      t.add_link(Link{PortRef{switch_name(nodes[a], ab->bridge), *usable_port(*ab)},
                      PortRef{switch_name(nodes[b], ba->bridge), *usable_port(*ba)}});
    }
  return t;
}

}  // namespace

Topology discover_topology(const std::vector<std::string>& databases, const DiscoveryOptions& options) {
  if (databases.empty()) throw Error("discover_topology: no database given");
  std::vector<Node> nodes;
  for (const std::string& remote : databases) {
    Db db = open_db(remote, options);
    nodes.push_back(read_node(db.get(), remote));
  }
  return build(nodes);
}

std::vector<HostChange> host_changes(const Topology& before, const Topology& after) {
  std::map<std::string, const Host*> old_hosts, new_hosts;
  for (const Host& h : before.hosts()) old_hosts[h.name] = &h;
  for (const Host& h : after.hosts()) new_hosts[h.name] = &h;
  std::map<std::string, HostChange> changes;
  for (const auto& [name, h] : new_hosts) {
    auto it = old_hosts.find(name);
    if (it == old_hosts.end()) changes[name] = HostChange{HostChange::Kind::added, *h, std::nullopt};
    else if (!(*it->second == *h)) changes[name] = HostChange{HostChange::Kind::moved, *h, *it->second};
  }
  for (const auto& [name, h] : old_hosts)
    if (!new_hosts.contains(name)) changes[name] = HostChange{HostChange::Kind::removed, *h, std::nullopt};
  std::vector<HostChange> out;
  for (auto& [name, c] : changes) out.push_back(std::move(c));
  return out;
}

struct TopologyWatch::Impl {
  std::vector<std::string> remotes;
  std::vector<Db> dbs;
  std::vector<unsigned int> seqnos;
  Callback on_change;
  Topology topology;

  Topology rebuild() {
    std::vector<Node> nodes;
    for (std::size_t i = 0; i < dbs.size(); ++i) nodes.push_back(read_node(dbs[i].get(), remotes[i]));
    return build(nodes);
  }
};

TopologyWatch::TopologyWatch(std::vector<std::string> databases, Callback on_change, DiscoveryOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (databases.empty()) throw Error("TopologyWatch: no database given");
  impl_->remotes = std::move(databases);
  impl_->on_change = std::move(on_change);
  for (const std::string& remote : impl_->remotes) {
    impl_->dbs.push_back(open_db(remote, options));
    impl_->seqnos.push_back(vtap_ovs_db_run(impl_->dbs.back().get()));
  }
  impl_->topology = impl_->rebuild();
}

TopologyWatch::~TopologyWatch() = default;

bool TopologyWatch::poll(std::chrono::milliseconds timeout) {
  ovs::SigpipeGuard guard;
  auto changed = [&] {
    bool any = false;
    for (std::size_t i = 0; i < impl_->dbs.size(); ++i) {
      const unsigned int seqno = vtap_ovs_db_run(impl_->dbs[i].get());
      if (seqno != impl_->seqnos[i]) {
        impl_->seqnos[i] = seqno;
        any = true;
      }
    }
    return any;
  };
  if (!changed()) {
    for (const Db& db : impl_->dbs) vtap_ovs_db_wait(db.get());
    vtap_ovs_block(timeout.count());
    if (!changed()) return false;
  }
  Topology now = impl_->rebuild();
  const auto changes = host_changes(impl_->topology, now);
  impl_->topology = std::move(now);
  if (changes.empty()) return false;
  if (impl_->on_change) impl_->on_change(impl_->topology, changes);
  return true;
}

const Topology& TopologyWatch::topology() const noexcept { return impl_->topology; }

}  // namespace vtap
