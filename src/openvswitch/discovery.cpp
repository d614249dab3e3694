// Topology discovery through the OVSDB IDL (ovs_db.h); see include/libvtap/discovery.hpp
// for what is read and how it is named.

#include "libvtap/openvswitch/discovery.hpp"
#include "libvtap/openvswitch/node_facts.hpp"

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

using Iface = InterfaceFacts;
using Node = NodeFacts;

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
        static_cast<Node*>(context)->interfaces.push_back(Iface{r->bridge, r->datapath_id, r->bridge_dpid_config, r->name,
                                                            r->type, r->ofport, r->attached_mac, r->iface_id,
                                                            r->vm_uuid, r->ip, r->tenant, r->peer, r->remote_ip,
                                                            r->local_ip});
      },
      &node);
  std::sort(node.interfaces.begin(), node.interfaces.end());
  for (const std::string& ip : split(vtap_ovs_db_system_id(db, "ovn-encap-ip"), ',')) node.local_ips.insert(ip);
  for (const std::string& ip : split(vtap_ovs_db_system_id(db, "vtap-local-ip"), ',')) node.local_ips.insert(ip);
  for (const Iface& i : node.interfaces)
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

Topology build(std::vector<Node>& nodes, bool prefixed) {
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
    for (const Iface& i : node.interfaces) {
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
    for (const Iface& i : node.interfaces) {
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
    for (const Iface& i : node.interfaces) by_name[i.name] = &i;
    for (const Iface& i : node.interfaces) {
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
        for (const Iface& i : from.interfaces)
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

Topology topology_from_nodes(std::vector<NodeFacts> nodes, bool prefixed) { return build(nodes, prefixed); }

void to_json(nlohmann::json& j, const NodeFacts& n) {
  nlohmann::json interfaces = nlohmann::json::array();
  for (const Iface& i : n.interfaces)
    interfaces.push_back({{"bridge", i.bridge}, {"datapath_id", i.datapath_id}, {"dpid_config", i.dpid_config},
                          {"name", i.name}, {"type", i.type}, {"ofport", i.ofport}, {"attached_mac", i.attached_mac},
                          {"iface_id", i.iface_id}, {"vm_uuid", i.vm_uuid}, {"ip", i.ip}, {"tenant", i.tenant},
                          {"peer", i.peer}, {"remote_ip", i.remote_ip}, {"local_ip", i.local_ip}});
  j = {{"name", n.name}, {"local_ips", n.local_ips}, {"interfaces", std::move(interfaces)}};
}

void from_json(const nlohmann::json& j, NodeFacts& n) {
  n.name = j.at("name").get<std::string>();
  n.local_ips = j.at("local_ips").get<std::set<std::string>>();
  n.interfaces.clear();
  for (const auto& i : j.at("interfaces"))
    n.interfaces.push_back(Iface{i.at("bridge"), i.at("datapath_id"), i.at("dpid_config"), i.at("name"), i.at("type"),
                                 i.at("ofport"), i.at("attached_mac"), i.at("iface_id"), i.at("vm_uuid"), i.at("ip"),
                                 i.at("tenant"), i.at("peer"), i.at("remote_ip"), i.at("local_ip")});
  std::sort(n.interfaces.begin(), n.interfaces.end());
}

NodeFacts read_node_facts(const std::string& database, const DiscoveryOptions& options) {
  Db db = open_db(database, options);
  return read_node(db.get(), database);
}

struct NodeWatch::Impl {
  std::string remote;
  Db db;
  unsigned int seqno = 0;
  NodeFacts facts;
};

NodeWatch::NodeWatch(std::string database, DiscoveryOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->remote = std::move(database);
  impl_->db = open_db(impl_->remote, options);
  impl_->seqno = vtap_ovs_db_run(impl_->db.get());
  impl_->facts = read_node(impl_->db.get(), impl_->remote);
}

NodeWatch::~NodeWatch() = default;

bool NodeWatch::poll(std::chrono::milliseconds timeout) {
  ovs::SigpipeGuard guard;
  unsigned int seqno = vtap_ovs_db_run(impl_->db.get());
  if (seqno == impl_->seqno && timeout.count() > 0) {
    vtap_ovs_db_wait(impl_->db.get());
    vtap_ovs_block(timeout.count());
    seqno = vtap_ovs_db_run(impl_->db.get());
  }
  if (seqno == impl_->seqno) return false;
  impl_->seqno = seqno;
  NodeFacts now = read_node(impl_->db.get(), impl_->remote);
  if (now == impl_->facts) return false;
  impl_->facts = std::move(now);
  return true;
}

const NodeFacts& NodeWatch::facts() const noexcept { return impl_->facts; }

Topology discover_topology(const std::vector<std::string>& databases, const DiscoveryOptions& options) {
  if (databases.empty()) throw Error("discover_topology: no database given");
  std::vector<Node> nodes;
  for (const std::string& remote : databases) {
    Db db = open_db(remote, options);
    nodes.push_back(read_node(db.get(), remote));
  }
  return build(nodes, nodes.size() > 1);
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
    return build(nodes, nodes.size() > 1);
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
