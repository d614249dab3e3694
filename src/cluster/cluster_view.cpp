// Reading the VTAP database, and the phase rules of cluster_view.hpp.

#include "libvtap/cluster/cluster_view.hpp"

#include <algorithm>
#include <charconv>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"

namespace vtap {

using nlohmann::json;

namespace {

std::optional<TapPolicy> policy_text(const std::string& text, std::uint32_t id, const std::string& tenant) {
  if (text.empty()) return std::nullopt;
  TapPolicy p = json::parse(text).get<TapPolicy>();
  p.id = id;
  p.tenant = tenant;
  return p;
}

// OVSDB leaves out of <row>s the columns that hold their default value ("", 0, the empty set).
std::string string_column(const json& row, const char* column) { return row.value(column, std::string()); }

std::set<std::string> strings(const json& row, const char* column) {
  std::set<std::string> out;
  if (!row.contains(column)) return out;
  for (const json& atom : ovsdb_set_atoms(row[column])) out.insert(atom.is_array() ? ovsdb_uuid(atom) : atom.get<std::string>());
  return out;
}

PolicyRow policy_row(const std::string& uuid, const json& row) {
  PolicyRow p;
  p.uuid = uuid;
  p.id = row.value("policy_id", 0U);
  p.tenant = string_column(row, "tenant");
  p.spec = policy_text(string_column(row, "spec"), p.id, p.tenant);
  p.previous = policy_text(string_column(row, "previous"), p.id, p.tenant);
  p.prepare = string_column(row, "phase") == "prepare";
  p.generation = row.value("generation", 0ULL);
  p.nodes = strings(row, "nodes");
  p.marks = strings(row, "marks");
  return p;
}

void read_policy(ClusterView& view, const std::string& uuid, const json& row) {
  try {
    PolicyRow p = policy_row(uuid, row);
    view.policies.insert_or_assign(p.id, std::move(p));
  } catch (const std::exception& e) {
    view.problems.push_back("Policy " + uuid + ": " + e.what());
  }
}

// The UUID a problem of read_policy() names, or "" for a problem of another table.
std::string policy_problem_uuid(const std::string& problem) {
  const std::string prefix = "Policy ";
  if (!problem.starts_with(prefix)) return "";
  return problem.substr(prefix.size(), problem.find(": ") - prefix.size());
}

// Takes the Policy row `uuid`, as `row` was, out of the view if it holds it: another row
// (another uuid) may have taken its id.
void leave(ClusterView& view, const std::string& uuid, const json& row) {
  try {
    const std::uint32_t id = row.value("policy_id", 0U);
    if (auto held = view.policies.find(id); held != view.policies.end() && held->second.uuid == uuid)
      view.policies.erase(id);
  } catch (const std::exception&) {
    // It did not parse: the view does not hold it.
  }
}

// Reads the Policy table. With `previous`, its rows are taken as they are but for those the
// two snapshots do not share: those leave, then are read again where they still are.
void read_policies(ClusterView& view, const OvsdbRows& rows, const ClusterView* previous) {
  view.policy_source = rows;
  if (!previous) {
    for (const auto& [uuid, row] : rows) read_policy(view, uuid, row);
    return;
  }
  const OvsdbRows& was = previous->policy_source;
  const std::vector<std::string> changed = rows.changed_keys(was);
  view.policies = previous->policies;
  if (!previous->problems.empty()) {
    const std::set<std::string> moved(changed.begin(), changed.end());
    for (const std::string& problem : previous->problems)
      if (const std::string uuid = policy_problem_uuid(problem); !uuid.empty() && !moved.contains(uuid))
        view.problems.push_back(problem);
  }
  for (const std::string& uuid : changed)
    if (auto row = was.find(uuid); row != was.end()) leave(view, uuid, row->second);
  for (const std::string& uuid : changed)
    if (auto row = rows.find(uuid); row != rows.end()) read_policy(view, uuid, row->second);
}

}  // namespace

ClusterView read_cluster(const OvsdbSnapshot& snapshot, const ClusterView* previous) {
  ClusterView view;
  view.nodes_version = snapshot.changed_in({"Node"});
  for (const auto& [uuid, row] : snapshot.rows("VTAP_Global")) {
    try {
      view.generation = row.value("generation", 0ULL);
      view.next_policy_id = row.value("next_policy_id", 1U);
      view.global_uuid = uuid;
    } catch (const std::exception& e) {
      view.problems.push_back("VTAP_Global " + uuid + ": " + e.what());
    }
  }
  std::map<std::string, std::string> stream_of;  // Mark uuid → stream
  for (const auto& [uuid, row] : snapshot.rows("Mark")) {
    try {
      const std::string stream = string_column(row, "stream");
      view.marks[stream] = row.value("vlan", std::uint16_t{0});
      view.mark_uuids[stream] = uuid;
      stream_of[uuid] = stream;
    } catch (const std::exception& e) {
      view.problems.push_back("Mark " + uuid + ": " + e.what());
    }
  }
  std::map<std::string, std::pair<std::uint64_t, std::string>> status;
  for (const auto& [uuid, row] : snapshot.rows("Node_Status")) {
    try {
      status[uuid] = {row.value("applied", 0ULL), string_column(row, "error")};
    } catch (const std::exception& e) {
      view.problems.push_back("Node_Status " + uuid + ": " + e.what());
    }
  }
  if (previous && previous->nodes_version == view.nodes_version) {
    view.nodes = previous->nodes;
    for (const auto& p : previous->problems)
      if (p.starts_with("Node ")) view.problems.push_back(p);
  } else {
    for (const auto& [uuid, row] : snapshot.rows("Node")) {
      try {
        NodeRow n;
        n.uuid = uuid;
        n.name = string_column(row, "name");
        auto facts = std::make_shared<NodeFacts>(json::parse(string_column(row, "facts")).get<NodeFacts>());
        facts->name = n.name;
        facts->remote = "node " + n.name;
        n.facts = std::move(facts);
        n.status_uuid = ovsdb_uuid(row.at("status"));
        view.nodes[n.name] = std::move(n);
      } catch (const std::exception& e) {
        view.problems.push_back("Node " + uuid + ": " + e.what());
      }
    }
  }
  for (auto& [name, n] : view.nodes) {
    auto s = status.find(n.status_uuid);
    std::tie(n.applied, n.error) = s != status.end() ? s->second : std::pair<std::uint64_t, std::string>{0, ""};
  }
  read_policies(view, snapshot.rows("Policy"), previous);
  return view;
}

Topology cluster_topology(const ClusterView& view) {
  std::vector<NodeFacts> nodes;
  for (const auto& [name, n] : view.nodes) nodes.push_back(*n.facts);
  return topology_from_nodes(std::move(nodes), true);
}

std::string node_of(const std::string& switch_name) { return switch_name.substr(0, switch_name.find('.')); }

Footprint footprint(const Topology& topology, const TapPolicy& policy, const TranslatorOptions& options,
                    const std::map<std::string, std::uint16_t>& marks) {
  TranslatorOptions alone = options;
  alone.assigned_marks = marks;
  Translator t(topology, alone);
  t.add(policy);
  Footprint f;
  for (const auto& [name, plan] : t.plan().switches) {
    f.nodes.insert(node_of(name));
    if (!t.tap_rules(name).empty()) f.rewriting.insert(node_of(name));
  }
  f.marks = t.marks();
  return f;
}

std::vector<TapPolicy> row_policies(const PolicyRow& row, const Topology& topology, const std::string& node,
                                    const TranslatorOptions& options,
                                    const std::map<std::string, std::uint16_t>& marks) {
  if (row.settled()) return {*row.spec};
  bool rewriting = false;
  for (const auto* p : {&row.spec, &row.previous})
    if (*p) try {
        rewriting = rewriting || footprint(topology, **p, options, marks).rewriting.contains(node);
      } catch (const Error&) {
        // Does not resolve here: it puts nothing anywhere, so it rewrites nowhere.
      }
  if (rewriting) {
    const auto& holds = row.prepare ? row.previous : row.spec;
    return holds ? std::vector{*holds} : std::vector<TapPolicy>{};
  }
  std::vector<TapPolicy> out;
  if (row.spec) out.push_back(*row.spec);
  if (row.previous && row.previous != row.spec) {
    out.push_back(*row.previous);
    out.back().id |= previous_id_bit;
  }
  return out;
}

std::vector<TapPolicy> node_policies(const ClusterView& view, const Topology& topology, const std::string& node,
                                     const TranslatorOptions& options) {
  std::vector<TapPolicy> out, previous;
  for (const auto& [id, row] : view.policies)
    for (TapPolicy& p : row_policies(row, topology, node, options, view.marks))
      ((p.id & previous_id_bit) ? previous : out).push_back(std::move(p));
  out.insert(out.end(), std::make_move_iterator(previous.begin()), std::make_move_iterator(previous.end()));
  return out;
}

bool step_acknowledged(const ClusterView& view, const PolicyRow& row) {
  for (const std::string& name : row.nodes) {
    auto n = view.nodes.find(name);
    if (n != view.nodes.end() && n->second.applied < row.generation) return false;
  }
  return true;
}

std::string node_stats_text(const std::map<std::uint32_t, PolicyStats>& stats) {
  if (stats.empty()) return "";  // the column's default: an idle node writes nothing
  json out = json::object();
  for (const auto& [id, c] : stats) out[std::to_string(id)] = {c.packets, c.bytes, c.copies, c.copy_bytes};
  return out.dump();
}

std::map<std::uint32_t, PolicyStats> cluster_stats(const OvsdbSnapshot& snapshot) {
  std::map<std::uint32_t, PolicyStats> out;
  for (const auto& [uuid, row] : snapshot.rows("Node_Status")) {
    try {
      const std::string text = string_column(row, "stats");
      if (text.empty()) continue;
      const json parsed = json::parse(text);
      if (!parsed.is_object()) throw Error("not an object");
      std::map<std::uint32_t, PolicyStats> node;
      for (const auto& [key, counts] : parsed.items()) {
        std::uint32_t id = 0;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
        if (ec != std::errc() || end != key.data() + key.size() || id == 0)
          throw Error("'" + key + "' is not a policy id");
        if (!counts.is_array() || counts.size() != 4 ||
            !std::all_of(counts.begin(), counts.end(), [](const json& n) { return n.is_number_unsigned(); }))
          throw Error("policy " + key + ": not four counters");
        node[id] = PolicyStats{counts[0].get<std::uint64_t>(), counts[1].get<std::uint64_t>(),
                               counts[2].get<std::uint64_t>(), counts[3].get<std::uint64_t>()};
      }
      for (const auto& [id, c] : node) out[id] += c;
    } catch (const std::exception&) {
      // Written by an agent of another version, or damaged: that node counts nothing.
    }
  }
  return out;
}

}  // namespace vtap
