// Endpoint, TapPolicy and their enums and options; JSON in and out of policy lists.

#include <filesystem>
#include <string>
#include <vector>

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <libvtap/model/json.hpp>
#include <libvtap/model/policy.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace vtap::python {

namespace {

nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(std::string("invalid JSON: ") + e.what());
  }
}

std::string dump(const nlohmann::json& j, std::optional<int> indent) { return j.dump(indent.value_or(-1)); }

std::string endpoint_repr(const Endpoint& e) {
  if (e.any) return "Endpoint.any_host()";
  std::string s = "Endpoint(";
  if (e.mac) s += "mac='" + e.mac->to_string() + "'";
  if (e.ip) s += std::string(e.mac ? ", " : "") + "ip='" + e.ip->to_string() + "'";
  return s + ")";
}

}  // namespace

void init_policy(py::module_& m) {
  py::native_enum<Direction>(m, "Direction", "enum.Enum", "Which traffic between sender and receiver is copied.")
      .value("forward", Direction::forward, "Sender to receiver only.")
      .value("both", Direction::both, "Also receiver to sender; the filter is mirrored.")
      .finalize();
  py::native_enum<Delivery>(m, "Delivery", "enum.Enum", "How copies travel to the monitor.")
      .value("marked", Delivery::marked, "Marked copies along the topology path, recovered at the monitor's edge.")
      .value("tunnel", Delivery::tunnel, "Encapsulated to a remote collector through the switch's tunnel port.")
      .finalize();

  py::class_<Endpoint> endpoint(m, "Endpoint", "A host named by MAC and/or IP address, or (receivers only) any host.");
  endpoint
      .def(py::init([](std::optional<Arg<MacAddress>> mac, std::optional<Arg<IpAddress>> ip, bool any) {
             return Endpoint{value(mac), value(ip), any};
           }),
           py::kw_only(), py::arg("mac") = py::none(), py::arg("ip") = py::none(), py::arg("any") = false,
           "Endpoint(mac='fa:00:00:00:00:01', ip='10.1.1.1'); mac and ip take str or address objects, ip also "
           "ipaddress objects.")
      .def_static("any_host", &Endpoint::any_host, "The '*' endpoint: any destination (receiver only).")
      .def_property(
          "mac", [](const Endpoint& e) { return e.mac; },
          [](Endpoint& e, std::optional<Arg<MacAddress>> v) { e.mac = value(v); }, "MacAddress or None.")
      .def_property(
          "ip", [](const Endpoint& e) { return to_python(e.ip); },
          [](Endpoint& e, std::optional<Arg<IpAddress>> v) { e.ip = value(v); }, "Ipv4Address, Ipv6Address or None.")
      .def_readwrite("any", &Endpoint::any, "True for '*' (any destination).")
      .def("__str__", &Endpoint::to_string, "'*', or the MAC and/or IP joined by a space.")
      .def("__repr__", &endpoint_repr)
      .def("to_json", [](const Endpoint& e) { return nlohmann::json(e).dump(); }, "The endpoint as JSON text.");
  equality(endpoint);
  endpoint.attr("__hash__") = py::none();

  py::class_<RateLimit> rate(m, "RateLimit", "A limit on the copies of one policy; production traffic is never limited.");
  py::native_enum<RateLimit::Unit>(rate, "Unit", "enum.Enum", "Unit of a rate limit.")
      .value("pktps", RateLimit::Unit::pktps, "Packets per second.")
      .value("kbps", RateLimit::Unit::kbps, "Kilobits per second.")
      .finalize();
  rate.def(py::init([](std::uint32_t r, RateLimit::Unit unit, std::uint32_t burst) { return RateLimit{unit, r, burst}; }),
           py::kw_only(), py::arg("rate"), py::arg("unit") = RateLimit::Unit::pktps, py::arg("burst") = 0,
           "RateLimit(rate=1000, unit=RateLimit.Unit.pktps, burst=0); burst 0 = switch default.")
      .def_readwrite("unit", &RateLimit::unit, "RateLimit.Unit.")
      .def_readwrite("rate", &RateLimit::rate, "Rate (> 0).")
      .def_readwrite("burst", &RateLimit::burst, "Burst size; 0 = switch default.")
      .def("__repr__", [](const RateLimit& r) {
        return "RateLimit(rate=" + std::to_string(r.rate) + ", unit=RateLimit.Unit." +
               (r.unit == RateLimit::Unit::kbps ? "kbps" : "pktps") + ", burst=" + std::to_string(r.burst) + ")";
      });
  equality(rate);
  rate.attr("__hash__") = py::none();

  py::class_<TunnelTarget> tunnel(m, "TunnelTarget", "Where tunnel-delivered copies go.");
  tunnel
      .def(py::init([](Arg<Ipv4Address> remote_ip, std::uint64_t key, std::string type,
                       std::optional<std::uint32_t> erspan_index) {
             return TunnelTarget{remote_ip.value, key, std::move(type), erspan_index};
           }),
           py::kw_only(), py::arg("remote_ip"), py::arg("key") = 0, py::arg("type") = "",
           py::arg("erspan_index") = py::none(),
           "TunnelTarget(remote_ip='192.0.2.9', key=7, type='', erspan_index=None): the collector's underlay "
           "IPv4 address and VNI/key; type: the switch's tunnel port of that OVS type ('' = its tunnel_port).")
      .def_property(
          "remote_ip", [](const TunnelTarget& t) { return t.remote_ip; },
          [](TunnelTarget& t, Arg<Ipv4Address> v) { t.remote_ip = v.value; },
          "Collector's underlay address (set as tun_dst).")
      .def_readwrite("key", &TunnelTarget::key, "VXLAN VNI / GRE key / ERSPAN session id (set as tun_id).")
      .def_readwrite("type", &TunnelTarget::type, "OVS tunnel type of the port to use ('' = the switch's tunnel_port).")
      .def_readwrite("erspan_index", &TunnelTarget::erspan_index, "ERSPAN v1 index (type 'erspan'), or None.")
      .def("__repr__", [](const TunnelTarget& t) {
        return "TunnelTarget(remote_ip='" + t.remote_ip.to_string() + "', key=" + std::to_string(t.key) + ")";
      });
  equality(tunnel);
  tunnel.attr("__hash__") = py::none();

  py::class_<TapPolicy> policy(m, "TapPolicy",
                               "One TAP policy: copy the traffic from sender to receiver that matches filter to "
                               "monitor. sender, receiver and monitor are mandatory identifier fields.");
  policy
      .def(py::init([](std::uint32_t id, std::string name, std::string tenant, Endpoint sender, Endpoint receiver,
                       Endpoint monitor, std::optional<Arg<Match>> filter, Direction direction,
                       std::optional<std::uint16_t> truncate, std::optional<RateLimit> rate_limit, Delivery delivery,
                       std::optional<TunnelTarget> tunnel_target) {
             TapPolicy p;
             p.id = id;
             p.name = std::move(name);
             p.tenant = std::move(tenant);
             p.sender = std::move(sender);
             p.receiver = std::move(receiver);
             p.monitor = std::move(monitor);
             p.filter = value_or(filter, Match{});
             p.direction = direction;
             p.truncate = truncate;
             p.rate_limit = rate_limit;
             p.delivery = delivery;
             p.tunnel = tunnel_target;
             return p;
           }),
           py::kw_only(), py::arg("id") = 0, py::arg("name") = "", py::arg("tenant") = "",
           py::arg("sender") = Endpoint{}, py::arg("receiver") = Endpoint{}, py::arg("monitor") = Endpoint{},
           py::arg("filter") = py::none(), py::arg("direction") = Direction::forward, py::arg("truncate") = py::none(),
           py::arg("rate_limit") = py::none(), py::arg("delivery") = Delivery::marked, py::arg("tunnel") = py::none(),
           "Keyword arguments only. filter takes a Match or its text ('tcp,tp_dst=80'); id 0 lets the "
           "Translator assign the next free id.")
      .def_readwrite("id", &TapPolicy::id, "1..0x7fffffff; 0 = assign the next free id.")
      .def_readwrite("name", &TapPolicy::name, "Free-form name.")
      .def_readwrite("tenant", &TapPolicy::tenant, "Tenant the policy belongs to.")
      .def_readwrite("sender", &TapPolicy::sender, "Endpoint whose traffic is copied.")
      .def_readwrite("receiver", &TapPolicy::receiver, "Endpoint the traffic goes to; may be Endpoint.any_host().")
      .def_readwrite("monitor", &TapPolicy::monitor, "Endpoint that gets the copies (unused with Delivery.tunnel).")
      .def_property(
          "filter", [](const TapPolicy& p) { return p.filter; },
          [](TapPolicy& p, std::optional<Arg<Match>> v) { p.filter = value_or(v, Match{}); },
          "Match (set from a Match or its text; None: match everything).")
      .def_readwrite("direction", &TapPolicy::direction, "Direction.")
      .def_readwrite("truncate", &TapPolicy::truncate, "Copies cut to this many bytes (>= 14), or None.")
      .def_readwrite("rate_limit", &TapPolicy::rate_limit, "RateLimit or None.")
      .def_readwrite("delivery", &TapPolicy::delivery, "Delivery.")
      .def_readwrite("tunnel", &TapPolicy::tunnel, "TunnelTarget (required with Delivery.tunnel) or None.")
      .def("__repr__", [](const TapPolicy& p) {
        return "<TapPolicy " + std::to_string(p.id) + " " + py::repr(py::str(p.name)).cast<std::string>() + ": " +
               p.sender.to_string() + " -> " + p.receiver.to_string() + " copied to " + p.monitor.to_string() +
               (p.filter.empty() ? "" : " if " + p.filter.to_string()) + ">";
      })
      .def("to_json", [](const TapPolicy& p, std::optional<int> indent) { return dump(nlohmann::json(p), indent); },
           py::arg("indent") = py::none(), "The policy as JSON text (one entry of a policy file).")
      .def_static(
          "from_json", [](const std::string& text) { return parse_json(text).get<TapPolicy>(); }, py::arg("text"),
          "Reads one policy from JSON text. Raises ParseError.");
  equality(policy);
  policy.attr("__hash__") = py::none();

  m.def(
      "load_policies", [](const std::filesystem::path& path) { return load_policies(path); }, py::arg("path"),
      "Reads a policy file ({'policies': [...]}). Raises ParseError naming the file, policy and key.");
  m.def(
      "policies_from_json", [](const std::string& text) { return policies_from_json(parse_json(text)); },
      py::arg("text"), "Reads policies from the JSON text of a policy file. Raises ParseError.");
  m.def(
      "policies_to_json",
      [](const std::vector<TapPolicy>& policies, std::optional<int> indent) {
        return dump(policies_to_json(policies), indent);
      },
      py::arg("policies"), py::kw_only(), py::arg("indent") = py::none(),
      "The JSON text of a policy file holding `policies`.");
}

}  // namespace vtap::python
