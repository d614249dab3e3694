#include "libvtap/api/onos_vtap.hpp"

#include <nlohmann/json.hpp>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"

namespace vtap::api {

using nlohmann::json;

namespace {

std::string text(const json& o, const std::string& key, const std::string& where) {
  if (!o.contains(key) || !o.at(key).is_string()) throw FieldError(where + key, "missing, or not a string");
  return o.at(key).get<std::string>();
}

// ONOS writes ports as strings ("80") or numbers; 0 is "any".
unsigned port(const json& o, const std::string& key, const std::string& where) {
  if (!o.contains(key)) return 0;
  const json& v = o.at(key);
  unsigned p = 0;
  if (v.is_number_unsigned()) p = v.get<unsigned>();
  else if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() <= 5 &&
           v.get<std::string>().find_first_not_of("0123456789") == std::string::npos)
    p = static_cast<unsigned>(std::stoul(v.get<std::string>()));
  else throw FieldError(where + key, "must be a port number");
  if (p > 65535) throw FieldError(where + key, std::to_string(p) + " is not a port number");
  return p;
}

TapPolicy one(const json& vtap, const Endpoint& monitor, const std::string& where) {
  if (!vtap.is_object()) throw FieldError(where.empty() ? "vtap" : where.substr(0, where.size() - 1), "must be an object");
  const std::string type = vtap.contains("type") && vtap.at("type").is_string() ? vtap.at("type").get<std::string>() : "all";
  TapPolicy p;
  if (type == "all" || type == "any" || type == "VTAP_ALL" || type == "VTAP_ANY") p.direction = Direction::both;
  else if (type != "tx" && type != "rx" && type != "VTAP_TX" && type != "VTAP_RX")
    throw FieldError(where + "type", "\"" + type + "\" is not all, rx, tx or any");
  if (!vtap.contains("criterion") || !vtap.at("criterion").is_object()) throw FieldError(where + "criterion", "missing");
  const json& c = vtap.at("criterion");
  const std::string at = where + "criterion.";
  for (const auto& [key, role] : {std::pair{"srcIp", &p.sender}, {"dstIp", &p.receiver}}) {
    const std::string ip = text(c, key, at);
    try {
      role->ip = IpAddress::parse(ip.substr(0, ip.find('/')));  // ONOS prints prefixes as a.b.c.d/32
    } catch (const Error& e) {
      throw FieldError(at + key, e.what());
    }
  }
  std::string proto = c.contains("ipProto") && c.at("ipProto").is_string() ? c.at("ipProto").get<std::string>() : "any";
  for (auto& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string filter = proto == "tcp" || proto == "udp" || proto == "icmp" ? proto : proto == "any" ? "ip" : "";
  if (filter.empty()) {
    if (proto.empty() || proto.size() > 3 || proto.find_first_not_of("0123456789") != std::string::npos || std::stoul(proto) > 255)
      throw FieldError(at + "ipProto", "\"" + proto + "\" is not tcp, udp, icmp, any or a protocol number");
    filter = "ip,nw_proto=" + proto;
  }
  const unsigned src = port(c, "srcPort", at), dst = port(c, "dstPort", at);
  if ((src || dst) && proto != "tcp" && proto != "udp") throw FieldError(at + "ipProto", "ports need tcp or udp");
  if (src) filter += ",tp_src=" + std::to_string(src);
  if (dst) filter += ",tp_dst=" + std::to_string(dst);
  p.filter = Match::parse(filter);
  p.monitor = monitor;
  p.name = "onos:" + type;
  return p;
}

}  // namespace

std::vector<TapPolicy> policies_from_onos(const json& body) {
  if (!body.is_object()) throw FieldError("", "the body must be {\"monitor\": ..., \"vtap\": {...}} or {\"monitor\": ..., \"vtaps\": [...]}");
  for (const auto& item : body.items())
    if (item.key() != "monitor" && item.key() != "vtap" && item.key() != "vtaps") throw FieldError(item.key(), "unknown key");
  if (!body.contains("monitor")) throw FieldError("monitor", "missing: ONOS's vtap network is libvtap's monitor");
  TapPolicy probe;  // the monitor, read by the policy file's endpoint reader
  json as_policy = json::object();
  as_policy["sender"] = body.at("monitor");
  as_policy["receiver"] = "*";
  as_policy["monitor"] = body.at("monitor");
  try {
    from_json(as_policy, probe);
  } catch (const FieldError& e) {
    std::string message = e.what();
    message.erase(0, e.field().size() + 2);
    const std::string& f = e.field();
    throw FieldError(f.starts_with("sender") ? "monitor" + f.substr(6) : f, message);
  }
  std::vector<TapPolicy> out;
  if (body.contains("vtap") == body.contains("vtaps")) throw FieldError("vtap", "give exactly one of \"vtap\" and \"vtaps\"");
  if (body.contains("vtap")) {
    out.push_back(one(body.at("vtap"), probe.sender, "vtap."));
  } else {
    const json& list = body.at("vtaps");
    if (!list.is_array()) throw FieldError("vtaps", "must be an array");
    for (std::size_t i = 0; i < list.size(); ++i) out.push_back(one(list[i], probe.sender, "vtaps[" + std::to_string(i) + "]."));
  }
  return out;
}

}  // namespace vtap::api
