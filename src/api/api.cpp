#include "libvtap/api/api.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "libvtap/api/onos_vtap.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/transport/transport.hpp"
#include "openapi_document.hpp"
#include "static_files.hpp"

namespace vtap::api {

using nlohmann::json;

namespace {

// Text out of JSON that may hold what a client sent, invalid UTF-8 included.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Response json_response(unsigned status, const json& j) { return Response{status, dump(j)}; }

Response method_not_allowed(std::string allow) {
  Response r = error_response(405, "method not allowed; use " + allow);
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

json parse_body(const Request& request) {
  if (request.body.empty()) throw FieldError("", "the request needs a JSON body");
  try {
    return json::parse(request.body);
  } catch (const json::parse_error& e) {
    throw FieldError("", std::string("invalid JSON: ") + e.what());
  }
}

// One policy of a request body; errors name the field under `prefix` (`policies[2].`).
TapPolicy parse_policy(const json& j, const std::string& prefix = {}) {
  try {
    return j.get<TapPolicy>();
  } catch (const FieldError& e) {
    std::string message = e.what();
    if (!e.field().empty()) message.erase(0, e.field().size() + 2);
    throw FieldError(prefix + e.field(), message);
  }
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0 || id > 0x7fffffff || text[0] == '0')
    return std::nullopt;
  return id;
}

json stats_json(std::uint32_t id, const PolicyStats& s, bool active) {
  return {{"id", id},         {"active", active},      {"packets", s.packets},
          {"bytes", s.bytes}, {"copies", s.copies},    {"copy_bytes", s.copy_bytes}};
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  const std::time_t c = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&c, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

json explanation_json(const Explanation& ex) {
  json verdicts = json::array(), copies = json::array();
  for (const auto& v : ex.verdicts) {
    json j{{"policy", v.policy_id}, {"matches", v.matches}};
    if (v.reverse) j["reverse"] = true;
    if (!v.reason.empty()) j["reason"] = v.reason;
    verdicts.push_back(std::move(j));
  }
  for (const auto& c : ex.copies) copies.push_back({{"target", c.target}, {"policies", c.policy_ids}});
  return {{"sender", ex.sender},     {"packet", ex.packet.to_string()}, {"verdicts", verdicts},
          {"copies", copies},        {"delivered", ex.delivered},       {"text", ex.to_string()}};
}

Response from_exception() {
  try {
    throw;
  } catch (const AccessError& e) {
    return error_response(403, e.what(), e.field());
  } catch (const PolicyError& e) {
    return error_response(400, e.what(), e.field());
  } catch (const FieldError& e) {
    return error_response(400, e.what(), e.field());
  } catch (const NotFoundError& e) {
    return error_response(404, e.what());
  } catch (const OwnershipError& e) {
    return error_response(409, e.what());
  } catch (const TransportError& e) {
    return error_response(502, e.what());
  } catch (const UnavailableError& e) {
    return error_response(503, e.what());
  } catch (const Error& e) {
    return error_response(400, e.what());
  } catch (const json::exception& e) {
    return error_response(400, e.what());
  } catch (const std::bad_alloc&) {
    return error_response(503, "out of memory");
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return error_response(500, "internal error");
  }
}

}  // namespace

Response error_response(unsigned status, const std::string& message, const std::string& field) {
  json e{{"message", message}};
  if (!field.empty()) e["field"] = field;
  return json_response(status, json{{"error", e}});
}

Api::Api(Controller& service, TokenTable tokens, std::optional<std::filesystem::path> taas_store)
    : service_(service), tokens_(std::move(tokens)), taas_(service, std::move(taas_store)) {}

std::variant<Caller, Response> Api::authenticate(const Request& request) const {
  if (request.trusted) return Caller::administrator();
  if (auto caller = tokens_.authenticate(request.authorization, request.auth_token)) return *caller;
  const bool given = !request.authorization.empty() || !request.auth_token.empty();
  return error_response(401, given ? "unknown token" : "give a token: Authorization: Bearer TOKEN (or X-Auth-Token)");
}

Response Api::handle(const Request& request) noexcept {
  try {
    std::string_view path = request.target;
    path = path.substr(0, path.find('?'));
    if (path == "/openapi.json") {
      if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET");
      return Response{200, std::string(openapi_document())};
    }
    if (request.method == "GET" || request.method == "HEAD")
      if (auto file = find_static_file(path == "/" ? "/index.html" : path)) {
        Response r(200, std::string(file->body), std::string(file->content_type));
        r.headers = {{"Content-Security-Policy",
                      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Cache-Control", "no-cache"}};
        return r;
      }
    auto who = authenticate(request);
    if (auto* refused = std::get_if<Response>(&who)) return *refused;
    return route(request, std::get<Caller>(who), path);
  } catch (...) {
    return from_exception();
  }
}

template <class F>
auto Api::timed(F&& change) {
  const auto start = std::chrono::steady_clock::now();
  struct Observe {
    LatencyHistogram& h;
    std::chrono::steady_clock::time_point start;
    ~Observe() { h.observe(std::chrono::steady_clock::now() - start); }
  } observe{apply_latency_, start};
  return change();
}

// `?wait=applied`: return only once the change is applied on every switch it touches.
void Api::await(const Request& request, std::uint32_t id) {
  const auto query = request.target.find('?');
  if (query == std::string::npos) return;
  std::string_view rest = std::string_view(request.target).substr(query + 1);
  while (!rest.empty()) {
    const std::string_view item = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), item.size() + 1));
    if (!item.starts_with("wait=")) continue;
    if (item != "wait=applied") throw FieldError("wait", "\"" + std::string(item.substr(5)) + "\" is not applied");
    service_.wait_applied(id, wait_timeout);
  }
}

Response Api::route(const Request& request, const Caller& caller, std::string_view path) {
  const std::string& method = request.method;
  if (path == "/metrics") return method == "GET" ? metrics(caller) : method_not_allowed("GET");
  if (constexpr std::string_view taas = "/v2.0/taas/"; path.starts_with(taas))
    return taas_.handle(request, caller, path.substr(taas.size()));
  constexpr std::string_view prefix = "/v1/";
  if (!path.starts_with(prefix)) return error_response(404, "no resource " + std::string(path));
  std::string_view rest = path.substr(prefix.size());
  if (rest == "policies") return policies(request, caller);
  if (rest.starts_with("policies/")) {
    rest.remove_prefix(9);
    const auto slash = rest.find('/');
    const auto id = parse_id(rest.substr(0, slash));
    if (!id) return error_response(404, "no policy " + std::string(rest.substr(0, slash)));
    return policy(request, caller, *id, slash == std::string_view::npos ? "" : rest.substr(slash));
  }
  if (rest == "stats") {
    if (method != "GET") return method_not_allowed("GET");
    const auto stats = service_.stats();
    const auto inactive = service_.inactive();
    json out = json::array();
    for (const auto& p : service_.list(caller)) {
      const auto it = stats.find(p.id);
      out.push_back(stats_json(p.id, it == stats.end() ? PolicyStats{} : it->second,
                               std::find(inactive.begin(), inactive.end(), p.id) == inactive.end()));
    }
    return json_response(200, {{"stats", out}});
  }
  if (rest == "topology") {
    if (method != "GET") return method_not_allowed("GET");
    json j = service_.topology();
    if (!caller.admin) {
      json hosts = json::array();
      for (auto& h : j.at("hosts"))
        if (h.value("tenant", "") == caller.tenant) hosts.push_back(std::move(h));
      j["hosts"] = std::move(hosts);
    }
    return json_response(200, j);
  }
  if (rest == "whoami") {
    if (method != "GET") return method_not_allowed("GET");
    return json_response(200, {{"administrator", caller.admin}, {"tenant", caller.admin ? json() : json(caller.tenant)}});
  }
  if (rest == "switches") {
    if (method != "GET") return method_not_allowed("GET");
    if (!caller.admin) return error_response(403, "switches: administrators only");
    json out = json::array();
    for (const auto& s : service_.switches())
      out.push_back({{"name", s.name},
                     {"target", s.target},
                     {"connected", s.connected},
                     {"version", s.version},
                     {"reconciliations", s.reconciliations},
                     {"repairs", s.repairs},
                     {"last_reconciliation", s.last_reconciliation ? json(iso_time(*s.last_reconciliation)) : json()},
                     {"last_error", s.last_error}});
    return json_response(200, {{"switches", out}});
  }
  if (rest == "import/onos") {
    if (method != "POST") return method_not_allowed("POST");
    return add_all(policies_from_onos(parse_body(request)), caller);
  }
  if (rest == "explain") return method == "POST" ? explain(request, caller) : method_not_allowed("POST");
  if (rest == "events") {
    if (method != "GET") return method_not_allowed("GET");
    return Response{200, "", "text/event-stream"};  // the server streams from here
  }
  return error_response(404, "no resource " + std::string(path));
}

Response Api::policies(const Request& request, const Caller& caller) {
  if (request.method == "GET") return json_response(200, policies_to_json(service_.list(caller)));
  if (request.method != "POST") return method_not_allowed("GET, POST");
  const json body = parse_body(request);
  if (!body.is_object()) throw FieldError("", "the body must be a policy object or {\"policies\": [...]}");
  if (!body.contains("policies")) {
    const std::uint32_t id = timed([&] { return service_.add(parse_policy(body), caller); });
    await(request, id);
    Response r = json_response(201, *service_.get(id, caller));
    r.headers.emplace_back("Location", "/v1/policies/" + std::to_string(id));
    return r;
  }
  // A batch: all or none.
  const json& items = body.at("policies");
  if (!items.is_array() || body.size() != 1) throw FieldError("policies", "must be the only key, an array of policies");
  std::vector<TapPolicy> batch;
  for (std::size_t i = 0; i < items.size(); ++i)
    batch.push_back(parse_policy(items[i], "policies[" + std::to_string(i) + "]."));
  return add_all(std::move(batch), caller, &request);
}

Response Api::add_all(std::vector<TapPolicy> batch, const Caller& caller, const Request* request) {
  std::vector<std::uint32_t> added;
  timed([&] {
    try {
      for (auto& p : batch) added.push_back(service_.add(std::move(p), caller));
    } catch (...) {
      for (auto it = added.rbegin(); it != added.rend(); ++it) service_.remove(*it);
      throw;
    }
  });
  std::vector<TapPolicy> out;
  for (auto id : added) {
    if (request) await(*request, id);
    out.push_back(*service_.get(id, caller));
  }
  return json_response(201, policies_to_json(out));
}

Response Api::policy(const Request& request, const Caller& caller, std::uint32_t id, std::string_view rest) {
  const auto current = service_.get(id, caller);
  if (!current) return error_response(404, "no policy " + std::to_string(id));
  if (rest == "/stats") {
    if (request.method != "GET") return method_not_allowed("GET");
    const auto stats = service_.stats();
    const auto it = stats.find(id);
    return json_response(200, stats_json(id, it == stats.end() ? PolicyStats{} : it->second, it != stats.end()));
  }
  if (!rest.empty()) return error_response(404, "no resource " + request.target.substr(0, request.target.find('?')));
  if (request.method == "GET") return json_response(200, *current);
  if (request.method == "DELETE") {
    timed([&] { service_.remove(id, caller); });
    await(request, id);
    return Response{204, "", ""};
  }
  if (request.method != "PUT") return method_not_allowed("GET, PUT, DELETE");
  const json body = parse_body(request);
  TapPolicy next = parse_policy(body);
  if (next.id != 0 && next.id != id)
    throw FieldError("id", std::to_string(next.id) + " is not the id in the path (" + std::to_string(id) + ")");
  next.id = id;
  timed([&] { service_.modify(std::move(next), caller); });
  await(request, id);
  return json_response(200, *service_.get(id, caller));
}

Response Api::metrics(const Caller& caller) {
  MetricsInput in;
  in.policies = service_.list(caller);
  in.inactive = service_.inactive();
  in.stats = service_.stats();
  if (caller.admin) {
    in.switches = service_.switches();
    in.apply_latency = apply_latency_.snapshot();
  }
  return Response{200, format_metrics(in), "text/plain; version=0.0.4; charset=utf-8"};
}

Response Api::explain(const Request& request, const Caller& caller) {
  const json body = parse_body(request);
  if (!body.is_object() || !body.contains("packet") || !body.at("packet").is_string())
    throw FieldError("packet", "give the packet as a string in ovs-fields syntax, e.g. \"tcp,nw_src=10.0.0.1,tp_dst=80\"");
  for (const auto& [key, value] : body.items())
    if (key != "packet") throw FieldError(key, "unknown key");
  Match packet;
  try {
    packet = Match::parse(body.at("packet").get<std::string>());
  } catch (const Error& e) {
    throw FieldError("packet", e.what());
  }
  try {
    return json_response(200, explanation_json(service_.explain(packet, caller)));
  } catch (const AccessError&) {
    throw;
  } catch (const Error& e) {
    throw FieldError("packet", e.what());
  }
}

}  // namespace vtap::api
