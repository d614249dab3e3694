#include "libvtap/api/taas.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

#include "libvtap/model/error.hpp"

namespace vtap::api {

using nlohmann::json;

namespace {

std::string new_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw Error("cannot draw random bytes for a UUID");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json to_json(const TapService& s) {
  return {{"id", s.id},          {"project_id", s.project_id}, {"tenant_id", s.project_id}, {"name", s.name},
          {"description", s.description}, {"port_id", s.port_id}, {"status", "ACTIVE"}};
}

json to_json(const TapFlow& f) {
  return {{"id", f.id},
          {"project_id", f.project_id},
          {"tenant_id", f.project_id},
          {"name", f.name},
          {"description", f.description},
          {"tap_service_id", f.tap_service_id},
          {"source_port", f.source_port},
          {"direction", f.direction},
          {"vlan_filter", f.vlan_filter.empty() ? json() : json(f.vlan_filter)},
          {"status", "ACTIVE"},
          {"policies", f.policies}};
}

json to_json(const TapMirror& m) {
  return {{"id", m.id},           {"project_id", m.project_id}, {"tenant_id", m.project_id},
          {"name", m.name},       {"description", m.description}, {"port_id", m.port_id},
          {"directions", m.directions}, {"remote_ip", m.remote_ip}, {"mirror_type", m.mirror_type},
          {"status", "ACTIVE"},   {"policies", m.policies}};
}

Endpoint endpoint(const Host& h) { return Endpoint{h.mac, std::nullopt, false}; }

// The sender/receiver pairs of one TaaS direction around `source`: OUT (what the port sends)
// is the source toward any receiver; IN (what it receives) every other VM but `skip` toward it.
std::vector<std::pair<Endpoint, Endpoint>> directed(const std::string& direction, const Host& source,
                                                    const Topology& topology, const Host* skip) {
  std::vector<std::pair<Endpoint, Endpoint>> out;
  if (direction != "IN") out.emplace_back(endpoint(source), Endpoint::any_host());
  if (direction != "OUT")
    for (const Host& h : topology.hosts())
      if (&h != &source && &h != skip) out.emplace_back(endpoint(h), endpoint(source));
  return out;
}

// The object under `key` of a request body, with only `allowed` keys of string (or null) values.
json body_object(const Request& request, const char* key, std::initializer_list<const char*> allowed) {
  json body;
  try {
    body = json::parse(request.body);
  } catch (const json::parse_error& e) {
    throw FieldError("", std::string("invalid JSON: ") + e.what());
  }
  if (!body.is_object() || !body.contains(key) || !body.at(key).is_object())
    throw FieldError(key, std::string("the body must be {\"") + key + "\": {...}}");
  const json& o = body.at(key);
  for (const auto& item : o.items()) {
    const std::string& k = item.key();
    const json& v = item.value();
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }) == allowed.end())
      throw FieldError(std::string(key) + "." + k, "unknown or read-only attribute");
    if (!v.is_string() && !v.is_null() && !(k == "directions" && v.is_object()))
      throw FieldError(std::string(key) + "." + k, "must be a string");
  }
  return o;
}

std::string text(const json& o, const char* k) { return o.contains(k) && o.at(k).is_string() ? o.at(k).get<std::string>() : ""; }

// The project a caller creates in: its tenant, or for an administrator the one it names.
std::string project_of(const json& o, const Caller& caller, const char* key) {
  const std::string asked = !text(o, "project_id").empty() ? text(o, "project_id") : text(o, "tenant_id");
  if (caller.admin) return asked;
  if (!asked.empty() && asked != caller.tenant)
    throw AccessError(0, std::string(key) + ".project_id", "\"" + asked + "\" is not the caller's project");
  return caller.tenant;
}

const Host& port(const Topology& topology, const std::string& id, const Caller& caller, const std::string& field) {
  const Host* h = topology.find_host(id);
  if (!h || (!caller.admin && h->tenant != caller.tenant)) throw NotFoundError(field + ": port " + id + " could not be found");
  return *h;
}

bool visible(const std::string& project, const Caller& caller) { return caller.admin || project == caller.tenant; }

}  // namespace

std::vector<std::pair<std::uint16_t, std::uint16_t>> vlan_blocks(std::string_view filter) {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> out;
  auto number = [&](std::string_view t) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v > 4095)
      throw FieldError("vlan_filter", "\"" + std::string(t) + "\" is not a VLAN id from 0 to 4095");
    return v;
  };
  while (!filter.empty()) {
    const auto comma = filter.find(',');
    std::string_view part = filter.substr(0, comma);
    filter = comma == std::string_view::npos ? std::string_view() : filter.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    const auto dash = part.find('-');
    unsigned lo = number(part.substr(0, dash)), hi = dash == std::string_view::npos ? lo : number(part.substr(dash + 1));
    if (hi < lo) throw FieldError("vlan_filter", "\"" + std::string(part) + "\" is an empty range");
    while (lo <= hi) {  // the largest aligned block starting at lo that fits
      unsigned size = 1;
      while ((lo & (size * 2 - 1)) == 0 && lo + size * 2 - 1 <= hi && size < 4096) size *= 2;
      out.emplace_back(static_cast<std::uint16_t>(0x1000 | lo), static_cast<std::uint16_t>(0x1fff & ~(size - 1)));
      lo += size;
    }
  }
  if (out.empty()) throw FieldError("vlan_filter", "names no VLAN");
  return out;
}

std::vector<TapPolicy> tap_flow_policies(const TapFlow& flow, const TapService& service, const Topology& topology) {
  const Host* source = topology.find_host(flow.source_port);
  if (!source) throw FieldError("source_port", "port " + flow.source_port + " is not in the topology");
  const Host* monitor = topology.find_host(service.port_id);
  if (!monitor) throw FieldError("tap_service_id", "the tap service's port " + service.port_id + " is not in the topology");
  if (source == monitor) throw FieldError("source_port", "is the tap service's own port");
  if (flow.direction != "IN" && flow.direction != "OUT" && flow.direction != "BOTH")
    throw FieldError("direction", "\"" + flow.direction + "\" is not IN, OUT or BOTH");
  std::vector<std::optional<std::pair<std::uint16_t, std::uint16_t>>> vlans;
  if (flow.vlan_filter.empty()) vlans.emplace_back();
  else
    for (auto b : vlan_blocks(flow.vlan_filter)) vlans.emplace_back(b);
  std::vector<TapPolicy> out;
  for (const auto& [sender, receiver] : directed(flow.direction, *source, topology, monitor))
    for (const auto& v : vlans) {
      TapPolicy p;
      p.name = "taas:" + flow.id;
      p.tenant = flow.project_id;
      p.sender = sender;
      p.receiver = receiver;
      p.monitor = endpoint(*monitor);
      if (v) p.filter.set(Field::vlan_vid, v->first, v->second);
      out.push_back(std::move(p));
    }
  return out;
}

std::vector<TapPolicy> tap_mirror_policies(const TapMirror& mirror, const Topology& topology) {
  const Host* source = topology.find_host(mirror.port_id);
  if (!source) throw FieldError("port_id", "port " + mirror.port_id + " is not in the topology");
  if (mirror.mirror_type != "gre" && mirror.mirror_type != "erspanv1")
    throw FieldError("mirror_type", "\"" + mirror.mirror_type + "\" is not gre or erspanv1");
  Ipv4Address remote;
  try {
    remote = Ipv4Address::parse(mirror.remote_ip);
  } catch (const Error& e) {
    throw FieldError("remote_ip", e.what());
  }
  if (mirror.directions.empty()) throw FieldError("directions", "give IN and/or OUT with a tunnel id, e.g. {\"IN\": 102}");
  std::vector<TapPolicy> out;
  for (const auto& [direction, id] : mirror.directions) {
    const std::string field = "directions." + direction;
    if (direction != "IN" && direction != "OUT") throw FieldError(field, "\"" + direction + "\" is not IN or OUT");
    if (id.empty() || id.size() > 5 || id.find_first_not_of("0123456789") != std::string::npos)
      throw FieldError(field, "\"" + id + "\" is not a tunnel id (a number)");
    TunnelTarget tunnel{remote, std::stoull(id), mirror.mirror_type == "gre" ? "gre" : "erspan", std::nullopt};
    if (tunnel.type == "erspan") {
      if (tunnel.key > 1023) throw FieldError(field, "an ERSPAN session id has 10 bits: at most 1023");
      tunnel.erspan_index = static_cast<std::uint32_t>(std::stoul(id, nullptr, 16));
    }
    for (const auto& [sender, receiver] : directed(direction, *source, topology, nullptr)) {
      TapPolicy p;
      p.name = "taas:" + mirror.id;
      p.tenant = mirror.project_id;
      p.sender = sender;
      p.receiver = receiver;
      p.delivery = Delivery::tunnel;
      p.tunnel = tunnel;
      out.push_back(std::move(p));
    }
  }
  return out;
}

Taas::Taas(Controller& service, std::optional<std::filesystem::path> file) : service_(service), file_(std::move(file)) {
  if (!file_ || !std::filesystem::exists(*file_)) return;
  std::ifstream in(*file_);
  try {
    const json j = json::parse(in);
    for (const auto& s : j.at("tap_services"))
      services_.push_back({s.at("id"), s.at("project_id"), s.at("name"), s.at("description"), s.at("port_id")});
    for (const auto& f : j.at("tap_flows"))
      flows_.push_back({f.at("id"), f.at("project_id"), f.at("name"), f.at("description"), f.at("tap_service_id"),
                        f.at("source_port"), f.at("direction"), f.value("vlan_filter", ""),
                        f.at("policies").get<std::vector<std::uint32_t>>()});
    for (const auto& m : j.value("tap_mirrors", json::array()))
      mirrors_.push_back({m.at("id"), m.at("project_id"), m.at("name"), m.at("description"), m.at("port_id"),
                          m.at("remote_ip"), m.at("mirror_type"), m.at("directions"),
                          m.at("policies").get<std::vector<std::uint32_t>>()});
  } catch (const json::exception& e) {
    throw ParseError(file_->string() + ": " + e.what());
  }
}

void Taas::save() const {
  if (!file_) return;
  json j{{"tap_services", json::array()}, {"tap_flows", json::array()}, {"tap_mirrors", json::array()}};
  for (const auto& m : mirrors_) j["tap_mirrors"].push_back(to_json(m));
  for (const auto& s : services_) j["tap_services"].push_back(to_json(s));
  for (const auto& f : flows_) {
    json e = to_json(f);
    e["vlan_filter"] = f.vlan_filter;
    j["tap_flows"].push_back(std::move(e));
  }
  const auto tmp = std::filesystem::path(file_->string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << dump(j) << "\n";
    out.flush();
    if (!out) throw Error(tmp.string() + ": cannot write");
  }
  std::filesystem::rename(tmp, *file_);
}

Response Taas::handle(const Request& request, const Caller& caller, std::string_view path) {
  std::lock_guard lock(mu_);
  for (auto [name, handler] : {std::pair{std::string_view("tap_services"), &Taas::services},
                               std::pair{std::string_view("tap_flows"), &Taas::flows},
                               std::pair{std::string_view("tap_mirrors"), &Taas::mirrors}}) {
    if (path == name) return (this->*handler)(request, caller, "");
    if (path.starts_with(name) && path.size() > name.size() + 1 && path[name.size()] == '/')
      return (this->*handler)(request, caller, path.substr(name.size() + 1));
  }
  return error_response(404, "no resource /v2.0/taas/" + std::string(path));
}

// What every TaaS resource shares: list, show, create (`make` validates the request's object and
// adds its policies, all or none), rename (name and description only, as TaaS allows) and delete
// (its policies with it).
template <class T, class Make>
Response Taas::resource(const Request& request, const Caller& caller, std::string_view id, std::vector<T>& items,
                        const std::string& key, Make&& make) {
  const std::string plural = key + "s";
  auto remove_policies = [&](const T& item) {
    if constexpr (requires { item.policies; })
      for (auto pid : item.policies)
        if (service_.get(pid)) service_.remove(pid);
  };
  if (id.empty()) {
    if (request.method == "GET") {
      json list = json::array();
      for (const auto& item : items)
        if (visible(item.project_id, caller)) list.push_back(to_json(item));
      return Response(200, dump({{plural, list}}));
    }
    if (request.method != "POST") return error_response(405, "method not allowed; use GET, POST");
    T made = make();
    items.push_back(made);
    try {
      save();
    } catch (...) {
      items.pop_back();
      remove_policies(made);
      throw;
    }
    return Response(201, dump({{key, to_json(made)}}));
  }
  const auto it = std::find_if(items.begin(), items.end(),
                               [&](const T& item) { return item.id == id && visible(item.project_id, caller); });
  if (it == items.end()) return error_response(404, key + " " + std::string(id) + " could not be found");
  if (request.method == "GET") return Response(200, dump({{key, to_json(*it)}}));
  if (request.method == "PUT") {
    const json o = body_object(request, key.c_str(), {"name", "description"});
    if (o.contains("name")) it->name = text(o, "name");
    if (o.contains("description")) it->description = text(o, "description");
    save();
    return Response(200, dump({{key, to_json(*it)}}));
  }
  if (request.method != "DELETE") return error_response(405, "method not allowed; use GET, PUT, DELETE");
  if constexpr (std::is_same_v<T, TapService>) {  // as TaaS does, with its tap flows
    const std::string service_id = it->id;
    for (auto f = flows_.begin(); f != flows_.end();) {
      if (f->tap_service_id != service_id) {
        ++f;
        continue;
      }
      for (auto pid : f->policies)
        if (service_.get(pid)) service_.remove(pid);
      f = flows_.erase(f);
    }
  }
  remove_policies(*it);
  items.erase(std::find_if(items.begin(), items.end(), [&](const T& item) { return item.id == id; }));
  save();
  return Response(204, "", "");
}

std::vector<std::uint32_t> Taas::add_all(const std::string& key, const std::function<std::vector<TapPolicy>()>& make) {
  std::vector<TapPolicy> policies;
  try {
    policies = make();
  } catch (const FieldError& e) {
    std::string message = e.what();
    message.erase(0, e.field().size() + 2);
    throw FieldError(key + "." + e.field(), message);
  }
  std::vector<std::uint32_t> ids;
  try {  // as an administrator: the caller's ports were checked before
    for (auto& p : policies) ids.push_back(service_.add(std::move(p)));
  } catch (...) {
    for (auto pid : ids) service_.remove(pid);
    throw;
  }
  return ids;
}

Response Taas::services(const Request& request, const Caller& caller, std::string_view id) {
  return resource(request, caller, id, services_, "tap_service", [&] {
    const json o = body_object(request, "tap_service", {"name", "description", "port_id", "project_id", "tenant_id"});
    TapService s{new_uuid(), project_of(o, caller, "tap_service"), text(o, "name"), text(o, "description"), text(o, "port_id")};
    if (s.port_id.empty()) throw FieldError("tap_service.port_id", "missing: the monitor's Neutron port");
    port(service_.topology(), s.port_id, caller, "tap_service.port_id");
    return s;
  });
}

Response Taas::flows(const Request& request, const Caller& caller, std::string_view id) {
  return resource(request, caller, id, flows_, "tap_flow", [&] {
    const json o = body_object(request, "tap_flow", {"name", "description", "tap_service_id", "source_port", "direction",
                                                     "vlan_filter", "project_id", "tenant_id"});
    TapFlow f{new_uuid(), project_of(o, caller, "tap_flow"), text(o, "name"), text(o, "description"),
              text(o, "tap_service_id"), text(o, "source_port"), text(o, "direction"), text(o, "vlan_filter"), {}};
    const auto svc = std::find_if(services_.begin(), services_.end(), [&](const TapService& s) {
      return s.id == f.tap_service_id && visible(s.project_id, caller);
    });
    if (svc == services_.end())
      throw NotFoundError("tap_flow.tap_service_id: tap service " + f.tap_service_id + " could not be found");
    const Topology topology = service_.topology();
    port(topology, f.source_port, caller, "tap_flow.source_port");
    f.policies = add_all("tap_flow", [&] { return tap_flow_policies(f, *svc, topology); });
    return f;
  });
}

Response Taas::mirrors(const Request& request, const Caller& caller, std::string_view id) {
  return resource(request, caller, id, mirrors_, "tap_mirror", [&] {
    const json o = body_object(request, "tap_mirror", {"name", "description", "port_id", "directions", "remote_ip",
                                                       "mirror_type", "project_id", "tenant_id"});
    TapMirror m{new_uuid(), project_of(o, caller, "tap_mirror"), text(o, "name"), text(o, "description"),
                text(o, "port_id"), text(o, "remote_ip"), text(o, "mirror_type"), {}, {}};
    if (o.contains("directions") && o.at("directions").is_object())
      for (const auto& d : o.at("directions").items()) {  // TaaS's CLI sends strings, its API numbers
        if (d.value().is_number_unsigned()) m.directions[d.key()] = std::to_string(d.value().get<std::uint64_t>());
        else if (d.value().is_string()) m.directions[d.key()] = d.value().get<std::string>();
        else throw FieldError("tap_mirror.directions." + d.key(), "must be a tunnel id");
      }
    const Topology topology = service_.topology();
    port(topology, m.port_id, caller, "tap_mirror.port_id");
    m.policies = add_all("tap_mirror", [&] { return tap_mirror_policies(m, topology); });
    return m;
  });
}

}  // namespace vtap::api
