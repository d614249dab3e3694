#pragma once
/// @file
/// JSON for policies and topologies (nlohmann/json). Opt-in: the core needs no JSON.
///
/// Policy file: `{"policies":[{"id":1,"name":"http","tenant":"t1",
///   "sender":{"mac":"fa:00:00:00:00:01","ip":"10.1.1.1"},"receiver":"*" | {...},
///   "monitor":{...},"filter":"tcp,tp_dst=80","direction":"forward"|"both",
///   "truncate":128,"rate_limit":{"pktps":1000,"burst":100} | {"kbps":10000},
///   "delivery":"marked"|"tunnel","tunnel":{"remote_ip":"192.0.2.9","key":7}}]}`
///
/// Topology file: `{"switches":[{"name":"s1","dpid":"0000000000000001","tunnel_port":9}],
///   "hosts":[{"name":"vm1","mac":"...","ip":"...","ipv6":"...","switch":"s1","port":1,
///   "tenant":"t1"}],"links":[{"a":{"switch":"s1","port":10},"b":{"switch":"s2","port":10}}]}`

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libvtap/model/policy.hpp"
#include "libvtap/model/topology.hpp"

namespace vtap {

void to_json(nlohmann::json& j, const Endpoint& e);
void from_json(const nlohmann::json& j, Endpoint& e);
void to_json(nlohmann::json& j, const TapPolicy& p);
void from_json(const nlohmann::json& j, TapPolicy& p);
void to_json(nlohmann::json& j, const Topology& t);
void from_json(const nlohmann::json& j, Topology& t);

/// Reads a policy file. Throws ParseError naming the file, the policy (id or position)
/// and the key: `p.json: policy 2: sender.mac: invalid MAC address "zz"`.
std::vector<TapPolicy> load_policies(const std::filesystem::path& file);
/// Reads a JSON file. Throws ParseError naming the file when it cannot be read or parsed.
nlohmann::json read_json_file(const std::filesystem::path& file);
/// Reads a topology file. Throws ParseError/TopologyError naming the file and the entry.
Topology load_topology(const std::filesystem::path& file);

std::vector<TapPolicy> policies_from_json(const nlohmann::json& j);
nlohmann::json policies_to_json(const std::vector<TapPolicy>& policies);

}  // namespace vtap
