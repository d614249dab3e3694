#include "libvtap/model/json.hpp"

#include <fstream>
#include <set>

#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

using nlohmann::json;

// Throws ParseError for `key` of the object being read, e.g. `sender.mac: ...`.
[[noreturn]] void fail(const std::string& key, const std::string& message) {
  throw FieldError(key, message);
}

void check_keys(const json& j, const std::string& where, std::initializer_list<const char*> allowed) {
  if (!j.is_object()) fail(where, "must be an object");
  const std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [key, value] : j.items())
    if (!ok.contains(key)) fail(where.empty() ? key : where + "." + key, "unknown key");
}

template <class T>
T get_number(const json& j, const std::string& key, std::uint64_t max) {
  if (!j.is_number_unsigned()) fail(key, "must be a non-negative integer, not " + j.dump());
  const auto v = j.get<std::uint64_t>();
  if (v > max) fail(key, std::to_string(v) + " is larger than " + std::to_string(max));
  return static_cast<T>(v);
}

std::string get_string(const json& j, const std::string& key) {
  if (!j.is_string()) fail(key, "must be a string, not " + j.dump());
  return j.get<std::string>();
}

template <class F>
auto parse_as(const std::string& key, F&& parse) {
  try {
    return parse();
  } catch (const Error& e) {
    fail(key, e.what());
  }
}

// An OVS tunnel interface type libvtap can send copies through.
std::string tunnel_type(const std::string& type, const std::string& key) {
  if (type != "vxlan" && type != "gre" && type != "erspan" && type != "geneve")
    fail(key, "\"" + type + "\" is not a tunnel type (vxlan, gre, erspan or geneve)");
  return type;
}

Endpoint endpoint_from(const json& j, const std::string& key) {
  if (j.is_string() && j.get<std::string>() == "*") return Endpoint::any_host();
  check_keys(j, key, {"mac", "ip"});
  Endpoint e;
  if (j.contains("mac")) {
    const auto text = get_string(j.at("mac"), key + ".mac");
    e.mac = parse_as(key + ".mac", [&] { return MacAddress::parse(text); });
  }
  if (j.contains("ip")) {
    const auto text = get_string(j.at("ip"), key + ".ip");
    e.ip = parse_as(key + ".ip", [&] { return IpAddress::parse(text); });
  }
  if (!e.mac && !e.ip) fail(key, "needs \"mac\" or \"ip\" (or \"*\" for any receiver)");
  return e;
}

std::uint64_t parse_dpid(const json& j, const std::string& key) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  const std::string text = get_string(j, key);
  std::string digits = text.starts_with("0x") ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 16 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    fail(key, "invalid datapath id \"" + text + "\" (up to 16 hex digits)");
  return std::stoull(digits, nullptr, 16);
}


}  // namespace

void to_json(json& j, const Endpoint& e) {
  if (e.any) {
    j = "*";
    return;
  }
  j = json::object();
  if (e.mac) j["mac"] = e.mac->to_string();
  if (e.ip) j["ip"] = e.ip->to_string();
}

void from_json(const json& j, Endpoint& e) { e = endpoint_from(j, ""); }

void to_json(json& j, const TapPolicy& p) {
  j = json{{"id", p.id}, {"sender", p.sender}, {"receiver", p.receiver}};
  if (!p.name.empty()) j["name"] = p.name;
  if (!p.tenant.empty()) j["tenant"] = p.tenant;
  if (p.monitor.any || p.monitor.mac || p.monitor.ip) j["monitor"] = p.monitor;
  if (!p.filter.empty()) j["filter"] = p.filter.to_string();
  if (p.direction != Direction::forward) j["direction"] = to_string(p.direction);
  if (p.truncate) j["truncate"] = *p.truncate;
  if (p.rate_limit) {
    j["rate_limit"] = {{p.rate_limit->unit == RateLimit::Unit::kbps ? "kbps" : "pktps", p.rate_limit->rate}};
    if (p.rate_limit->burst) j["rate_limit"]["burst"] = p.rate_limit->burst;
  }
  if (p.delivery != Delivery::marked) j["delivery"] = to_string(p.delivery);
  if (p.tunnel) {
    j["tunnel"] = {{"remote_ip", p.tunnel->remote_ip.to_string()}, {"key", p.tunnel->key}};
    if (!p.tunnel->type.empty()) j["tunnel"]["type"] = p.tunnel->type;
    if (p.tunnel->erspan_index) j["tunnel"]["erspan_index"] = *p.tunnel->erspan_index;
  }
}

void from_json(const json& j, TapPolicy& p) {
  check_keys(j, "", {"id", "name", "tenant", "sender", "receiver", "monitor", "filter", "direction", "truncate",
                     "rate_limit", "delivery", "tunnel"});
  p = TapPolicy{};
  if (j.contains("id")) p.id = get_number<std::uint32_t>(j.at("id"), "id", 0x7fffffff);
  if (j.contains("name")) p.name = get_string(j.at("name"), "name");
  if (j.contains("tenant")) p.tenant = get_string(j.at("tenant"), "tenant");
  for (const char* key : {"sender", "receiver"})
    if (!j.contains(key)) fail(key, "missing (identifier fields are mandatory)");
  p.sender = endpoint_from(j.at("sender"), "sender");
  p.receiver = endpoint_from(j.at("receiver"), "receiver");
  if (j.contains("monitor")) p.monitor = endpoint_from(j.at("monitor"), "monitor");
  if (j.contains("filter")) {
    const auto text = get_string(j.at("filter"), "filter");
    p.filter = parse_as("filter", [&] { return Match::parse(text); });
  }
  if (j.contains("direction")) {
    const auto d = get_string(j.at("direction"), "direction");
    if (d == "forward") p.direction = Direction::forward;
    else if (d == "both") p.direction = Direction::both;
    else fail("direction", "\"" + d + "\" is not \"forward\" or \"both\"");
  }
  if (j.contains("truncate")) p.truncate = get_number<std::uint16_t>(j.at("truncate"), "truncate", 65535);
  if (j.contains("rate_limit")) {
    const json& r = j.at("rate_limit");
    check_keys(r, "rate_limit", {"pktps", "kbps", "burst"});
    if (r.contains("pktps") == r.contains("kbps")) fail("rate_limit", "give exactly one of \"pktps\" or \"kbps\"");
    RateLimit rl;
    rl.unit = r.contains("kbps") ? RateLimit::Unit::kbps : RateLimit::Unit::pktps;
    const char* unit = r.contains("kbps") ? "kbps" : "pktps";
    rl.rate = get_number<std::uint32_t>(r.at(unit), std::string("rate_limit.") + unit, 0xffffffff);
    if (r.contains("burst")) rl.burst = get_number<std::uint32_t>(r.at("burst"), "rate_limit.burst", 0xffffffff);
    p.rate_limit = rl;
  }
  if (j.contains("delivery")) {
    const auto d = get_string(j.at("delivery"), "delivery");
    if (d == "marked") p.delivery = Delivery::marked;
    else if (d == "tunnel") p.delivery = Delivery::tunnel;
    else fail("delivery", "\"" + d + "\" is not \"marked\" or \"tunnel\"");
  }
  if (j.contains("tunnel")) {
    const json& t = j.at("tunnel");
    check_keys(t, "tunnel", {"remote_ip", "key", "type", "erspan_index"});
    if (!t.contains("remote_ip") || !t.contains("key")) fail("tunnel", "needs \"remote_ip\" and \"key\"");
    const auto ip = get_string(t.at("remote_ip"), "tunnel.remote_ip");
    TunnelTarget tt;
    tt.remote_ip = parse_as("tunnel.remote_ip", [&] { return Ipv4Address::parse(ip); });
    tt.key = get_number<std::uint64_t>(t.at("key"), "tunnel.key", 0xffffffffffffffffULL);
    if (t.contains("type")) tt.type = tunnel_type(get_string(t.at("type"), "tunnel.type"), "tunnel.type");
    if (t.contains("erspan_index")) {
      if (tt.type != "erspan") fail("tunnel.erspan_index", "needs \"type\": \"erspan\"");
      tt.erspan_index = get_number<std::uint32_t>(t.at("erspan_index"), "tunnel.erspan_index", 0xfffff);
    }
    if (tt.type == "erspan" && tt.key > 1023) fail("tunnel.key", "an ERSPAN session id has 10 bits: at most 1023");
    p.tunnel = tt;
  }
  if (p.delivery == Delivery::marked && !j.contains("monitor")) fail("monitor", "missing (identifier fields are mandatory)");
}

std::vector<TapPolicy> policies_from_json(const json& j) {
  if (!j.is_object() || !j.contains("policies") || !j.at("policies").is_array())
    throw ParseError("expected an object with a \"policies\" array");
  std::vector<TapPolicy> out;
  std::size_t position = 0;
  for (const json& item : j.at("policies")) {
    ++position;
    try {
      out.push_back(item.get<TapPolicy>());
    } catch (const Error& e) {
      const bool has_id = item.is_object() && item.contains("id") && item.at("id").is_number_unsigned();
      throw ParseError((has_id ? "policy " + item.at("id").dump() : "policy #" + std::to_string(position)) + ": " + e.what());
    }
  }
  return out;
}

json policies_to_json(const std::vector<TapPolicy>& policies) { return json{{"policies", policies}}; }

void to_json(json& j, const Topology& t) {
  j = json{{"switches", json::array()}, {"hosts", json::array()}, {"links", json::array()}};
  for (const auto& s : t.switches()) {
    char dpid[17];
    std::snprintf(dpid, sizeof dpid, "%016llx", static_cast<unsigned long long>(s.dpid));
    json js{{"name", s.name}, {"dpid", dpid}};
    if (s.tunnel_port) js["tunnel_port"] = *s.tunnel_port;
    if (!s.tunnel_ports.empty()) js["tunnel_ports"] = s.tunnel_ports;
    j["switches"].push_back(js);
  }
  for (const auto& h : t.hosts()) {
    json jh{{"name", h.name}, {"mac", h.mac.to_string()}, {"switch", h.switch_name}, {"port", h.port}};
    if (h.ip) jh["ip"] = h.ip->to_string();
    if (h.ipv6) jh["ipv6"] = h.ipv6->to_string();
    if (!h.tenant.empty()) jh["tenant"] = h.tenant;
    j["hosts"].push_back(jh);
  }
  for (const auto& l : t.links())
    j["links"].push_back({{"a", {{"switch", l.a.switch_name}, {"port", l.a.port}}},
                          {"b", {{"switch", l.b.switch_name}, {"port", l.b.port}}}});
}

void from_json(const json& j, Topology& t) {
  check_keys(j, "", {"switches", "hosts", "links"});
  t = Topology{};
  auto list = [&](const char* key) {
    if (!j.contains(key)) return json::array();
    if (!j.at(key).is_array()) fail(key, "must be an array");
    return j.at(key);
  };
  auto port_ref = [&](const json& e, const std::string& where) {
    check_keys(e, where, {"switch", "port"});
    if (!e.contains("switch") || !e.contains("port")) fail(where, "needs \"switch\" and \"port\"");
    return PortRef{get_string(e.at("switch"), where + ".switch"),
                   get_number<std::uint32_t>(e.at("port"), where + ".port", 0xfffffeff)};
  };
  std::size_t i = 0;
  for (const json& s : list("switches")) {
    const std::string where = "switches[" + std::to_string(i++) + "]";
    check_keys(s, where, {"name", "dpid", "tunnel_port", "tunnel_ports"});
    if (!s.contains("name") || !s.contains("dpid")) fail(where, "needs \"name\" and \"dpid\"");
    Switch sw;
    sw.name = get_string(s.at("name"), where + ".name");
    sw.dpid = parse_dpid(s.at("dpid"), where + ".dpid");
    if (s.contains("tunnel_port"))
      sw.tunnel_port = get_number<std::uint32_t>(s.at("tunnel_port"), where + ".tunnel_port", 0xfffffeff);
    if (s.contains("tunnel_ports")) {
      const json& ports = s.at("tunnel_ports");
      if (!ports.is_object()) fail(where + ".tunnel_ports", "must be an object of OVS tunnel type to port");
      for (const auto& item : ports.items())
        sw.tunnel_ports[tunnel_type(item.key(), where + ".tunnel_ports." + item.key())] =
            get_number<std::uint32_t>(item.value(), where + ".tunnel_ports." + item.key(), 0xfffffeff);
    }
    parse_as(where, [&] { t.add_switch(std::move(sw)); return 0; });
  }
  i = 0;
  for (const json& h : list("hosts")) {
    const std::string where = "hosts[" + std::to_string(i++) + "]";
    check_keys(h, where, {"name", "mac", "ip", "ipv6", "switch", "port", "tenant"});
    for (const char* key : {"name", "mac", "switch", "port"})
      if (!h.contains(key)) fail(where, std::string("needs \"") + key + "\"");
    Host host;
    host.name = get_string(h.at("name"), where + ".name");
    const auto mac = get_string(h.at("mac"), where + ".mac");
    host.mac = parse_as(where + ".mac", [&] { return MacAddress::parse(mac); });
    if (h.contains("ip")) {
      const auto ip = get_string(h.at("ip"), where + ".ip");
      host.ip = parse_as(where + ".ip", [&] { return Ipv4Address::parse(ip); });
    }
    if (h.contains("ipv6")) {
      const auto ip = get_string(h.at("ipv6"), where + ".ipv6");
      host.ipv6 = parse_as(where + ".ipv6", [&] { return Ipv6Address::parse(ip); });
    }
    host.switch_name = get_string(h.at("switch"), where + ".switch");
    host.port = get_number<std::uint32_t>(h.at("port"), where + ".port", 0xfffffeff);
    if (h.contains("tenant")) host.tenant = get_string(h.at("tenant"), where + ".tenant");
    parse_as(where, [&] { t.add_host(std::move(host)); return 0; });
  }
  i = 0;
  for (const json& l : list("links")) {
    const std::string where = "links[" + std::to_string(i++) + "]";
    check_keys(l, where, {"a", "b"});
    if (!l.contains("a") || !l.contains("b")) fail(where, "needs \"a\" and \"b\"");
    Link link{port_ref(l.at("a"), where + ".a"), port_ref(l.at("b"), where + ".b")};
    parse_as(where, [&] { t.add_link(std::move(link)); return 0; });
  }
}

std::vector<TapPolicy> load_policies(const std::filesystem::path& file) {
  const json j = read_json_file(file);
  try {
    return policies_from_json(j);
  } catch (const Error& e) {
    throw ParseError(file.string() + ": " + e.what());
  }
}

json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ParseError(file.string() + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw ParseError(file.string() + ": invalid JSON: " + e.what());
  }
}

Topology load_topology(const std::filesystem::path& file) {
  const json j = read_json_file(file);
  try {
    return j.get<Topology>();
  } catch (const Error& e) {
    throw ParseError(file.string() + ": " + e.what());
  }
}

}  // namespace vtap
