// Switch, Host, PortRef, Link and Topology, from Python lists or from JSON.

#include <filesystem>
#include <string>
#include <vector>

#include <pybind11/operators.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <libvtap/model/json.hpp>
#include <libvtap/model/topology.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace vtap::python {

namespace {

template <class T>
void record_methods(py::class_<T>& cls) {
  equality(cls);
  cls.def(py::self < py::self);
  cls.attr("__hash__") = py::none();
}

std::string quoted(const std::string& s) { return py::repr(py::str(s)).cast<std::string>(); }

}  // namespace

void init_topology(py::module_& m) {
  py::class_<Switch> sw(m, "Switch", "One OpenFlow switch (an OVS bridge).");
  sw.def(py::init([](std::string name, std::uint64_t dpid, std::optional<std::uint32_t> tunnel_port,
                      std::map<std::string, std::uint32_t> tunnel_ports) {
           return Switch{std::move(name), dpid, tunnel_port, std::move(tunnel_ports)};
         }),
         py::kw_only(), py::arg("name"), py::arg("dpid"), py::arg("tunnel_port") = py::none(),
         py::arg("tunnel_ports") = std::map<std::string, std::uint32_t>{},
         "Switch(name='s1', dpid=1, tunnel_port=None, tunnel_ports={}); tunnel_port: a port with "
         "options:remote_ip=flow; tunnel_ports: such ports by OVS type ('gre', 'erspan', 'vxlan', 'geneve').")
      .def_readwrite("name", &Switch::name, "Switch (bridge) name.")
      .def_readwrite("dpid", &Switch::dpid, "Datapath id.")
      .def_readwrite("tunnel_port", &Switch::tunnel_port, "Tunnel port for Delivery.tunnel copies, or None.")
      .def_readwrite("tunnel_ports", &Switch::tunnel_ports, "Tunnel ports by OVS type, for TunnelTarget.type.")
      .def("__repr__", [](const Switch& s) {
        return "Switch(name=" + quoted(s.name) + ", dpid=" + std::to_string(s.dpid) +
               (s.tunnel_port ? ", tunnel_port=" + std::to_string(*s.tunnel_port) : "") + ")";
      });
  record_methods(sw);

  py::class_<Host> host(m, "Host", "A VM (or any end host) attached to one switch port.");
  host.def(py::init([](std::string name, Arg<MacAddress> mac, std::optional<Arg<Ipv4Address>> ip,
                       std::optional<Arg<Ipv6Address>> ipv6, std::string switch_name, std::uint32_t port,
                       std::string tenant) {
             return Host{std::move(name), mac.value, value(ip), value(ipv6), std::move(switch_name), port,
                         std::move(tenant)};
           }),
           py::kw_only(), py::arg("name"), py::arg("mac"), py::arg("ip") = py::none(), py::arg("ipv6") = py::none(),
           py::arg("switch_name"), py::arg("port"), py::arg("tenant") = "",
           "Host(name='vm1', mac='fa:00:00:00:00:01', ip='10.1.1.1', switch_name='s1', port=1, tenant='t1').")
      .def_property(
          "name", [](const Host& h) { return h.name; }, [](Host& h, std::string v) { h.name = std::move(v); },
          "Host name.")
      .def_property(
          "mac", [](const Host& h) { return h.mac; }, [](Host& h, Arg<MacAddress> v) { h.mac = v.value; },
          "MacAddress.")
      .def_property(
          "ip", [](const Host& h) { return h.ip; },
          [](Host& h, std::optional<Arg<Ipv4Address>> v) { h.ip = value(v); }, "Ipv4Address or None.")
      .def_property(
          "ipv6", [](const Host& h) { return h.ipv6; },
          [](Host& h, std::optional<Arg<Ipv6Address>> v) { h.ipv6 = value(v); }, "Ipv6Address or None.")
      .def_readwrite("switch_name", &Host::switch_name, "Switch the host is attached to.")
      .def_readwrite("port", &Host::port, "OpenFlow port number on that switch.")
      .def_readwrite("tenant", &Host::tenant, "Tenant.")
      .def("__repr__", [](const Host& h) {
        return "Host(name=" + quoted(h.name) + ", mac='" + h.mac.to_string() + "'" +
               (h.ip ? ", ip='" + h.ip->to_string() + "'" : "") + (h.ipv6 ? ", ipv6='" + h.ipv6->to_string() + "'" : "") +
               ", switch_name=" + quoted(h.switch_name) + ", port=" + std::to_string(h.port) +
               ", tenant=" + quoted(h.tenant) + ")";
      });
  record_methods(host);

  py::class_<PortRef> port(m, "PortRef", "One end of a link: a switch port.");
  port.def(py::init([](std::string switch_name, std::uint32_t p) { return PortRef{std::move(switch_name), p}; }),
           py::kw_only(), py::arg("switch_name"), py::arg("port"), "PortRef(switch_name='s1', port=12).")
      .def_readwrite("switch_name", &PortRef::switch_name, "Switch name.")
      .def_readwrite("port", &PortRef::port, "Port number.")
      .def("__repr__", [](const PortRef& p) {
        return "PortRef(switch_name=" + quoted(p.switch_name) + ", port=" + std::to_string(p.port) + ")";
      });
  record_methods(port);

  py::class_<Link> link(m, "Link", "A bidirectional link between two switch ports (patch port pair or tunnel).");
  link.def(py::init([](PortRef a, PortRef b) { return Link{std::move(a), std::move(b)}; }), py::kw_only(),
           py::arg("a"), py::arg("b"), "Link(a=PortRef(...), b=PortRef(...)).")
      .def(py::init([](std::pair<std::string, std::uint32_t> a, std::pair<std::string, std::uint32_t> b) {
             return Link{PortRef{a.first, a.second}, PortRef{b.first, b.second}};
           }),
           py::kw_only(), py::arg("a"), py::arg("b"), "Link(a=('s1', 12), b=('s2', 21)).")
      .def_readwrite("a", &Link::a, "One end.")
      .def_readwrite("b", &Link::b, "The other end.")
      .def("__repr__", [](const Link& l) {
        return "Link(a=('" + l.a.switch_name + "', " + std::to_string(l.a.port) + "), b=('" + l.b.switch_name +
               "', " + std::to_string(l.b.port) + "))";
      });
  record_methods(link);

  py::class_<Hop> hop(m, "Hop", "One switch on a path: where the packet enters and leaves it.");
  hop.def_readonly("switch_name", &Hop::switch_name, "Switch name.")
      .def_readonly("in_port", &Hop::in_port, "Port the packet arrives on.")
      .def_readonly("out_port", &Hop::out_port, "Port it leaves by.")
      .def("__repr__", [](const Hop& h) {
        return "Hop(switch_name=" + quoted(h.switch_name) + ", in_port=" + std::to_string(h.in_port) +
               ", out_port=" + std::to_string(h.out_port) + ")";
      });
  record_methods(hop);

  py::class_<Topology> topo(m, "Topology",
                            "Switches, hosts and links, validated as they are added (TopologyError on a duplicate "
                            "or dangling entry).");
  topo.def(py::init([](const std::vector<Switch>& switches, const std::vector<Host>& hosts,
                       const std::vector<Link>& links) {
             Topology t;
             for (const auto& s : switches) t.add_switch(s);
             for (const auto& h : hosts) t.add_host(h);
             for (const auto& l : links) t.add_link(l);
             return t;
           }),
           py::kw_only(), py::arg("switches") = std::vector<Switch>{}, py::arg("hosts") = std::vector<Host>{},
           py::arg("links") = std::vector<Link>{},
           "Topology(switches=[...], hosts=[...], links=[...]); switches are added first, then hosts, then links.")
      .def_static(
          "from_json",
          [](const std::string& text) {
            nlohmann::json j;
            try {
              j = nlohmann::json::parse(text);
            } catch (const nlohmann::json::exception& e) {
              throw ParseError(std::string("invalid JSON: ") + e.what());
            }
            return j.get<Topology>();
          },
          py::arg("text"), "Reads a topology from the JSON text of a topology file. Raises ParseError/TopologyError.")
      .def_static(
          "load", [](const std::filesystem::path& path) { return load_topology(path); }, py::arg("path"),
          "Reads a topology file. Raises ParseError/TopologyError naming the file and the entry.")
      .def("to_json", [](const Topology& t, std::optional<int> indent) {
             return nlohmann::json(t).dump(indent.value_or(-1));
           }, py::arg("indent") = py::none(), "The topology as JSON text (the topology file format).")
      .def("add_switch", &Topology::add_switch, py::arg("switch"), "Adds a switch. Raises TopologyError.")
      .def("add_host", &Topology::add_host, py::arg("host"), "Adds a host. Raises TopologyError.")
      .def("add_link", &Topology::add_link, py::arg("link"), "Adds a link. Raises TopologyError.")
      .def_property_readonly("switches", &Topology::switches, "The switches, in the order added.")
      .def_property_readonly("hosts", &Topology::hosts, "The hosts, in the order added.")
      .def_property_readonly("links", &Topology::links, "The links, in the order added.")
      .def(
          "find_switch",
          [](const Topology& t, const std::string& name) -> std::optional<Switch> {
            const auto* s = t.find_switch(name);
            return s ? std::optional<Switch>(*s) : std::nullopt;
          },
          py::arg("name"), "The switch called `name`, or None.")
      .def(
          "find_host",
          [](const Topology& t, const std::string& name) -> std::optional<Host> {
            const auto* h = t.find_host(name);
            return h ? std::optional<Host>(*h) : std::nullopt;
          },
          py::arg("name"), "The host called `name`, or None.")
      .def(
          "find_host_by_mac",
          [](const Topology& t, Arg<MacAddress> mac) -> std::optional<Host> {
            const auto* h = t.find_host_by_mac(mac.value);
            return h ? std::optional<Host>(*h) : std::nullopt;
          },
          py::arg("mac"), "The host with MAC `mac`, or None.")
      .def(
          "find_host_by_ip",
          [](const Topology& t, Arg<IpAddress> ip) -> std::optional<Host> {
            const auto* h = t.find_host_by_ip(ip.value);
            return h ? std::optional<Host>(*h) : std::nullopt;
          },
          py::arg("ip"), "The host with IP `ip` (v4 or v6), or None.")
      .def("path", &Topology::path, py::arg("from_switch"), py::arg("from_port"), py::arg("to"),
           "The hops from port `from_port` on `from_switch` to Host `to` (fewest links, deterministic); "
           "empty when unreachable.")
      .def("next_hops", &Topology::next_hops, py::arg("to_switch"),
           "For every switch that can reach `to_switch`, the port toward it.")
      .def("__repr__", [](const Topology& t) {
        return "<Topology " + std::to_string(t.switches().size()) + " switches, " + std::to_string(t.hosts().size()) +
               " hosts, " + std::to_string(t.links().size()) + " links>";
      });

  m.def(
      "load_topology", [](const std::filesystem::path& path) { return load_topology(path); }, py::arg("path"),
      "Reads a topology file (same as Topology.load).");
}

}  // namespace vtap::python
