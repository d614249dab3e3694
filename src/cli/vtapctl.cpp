// vtapctl: compile TAP policies into OpenFlow rules, and explain who gets a copy.

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libvtap/model/error.hpp"
#include "libvtap/translate/explain.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/translate/translator.hpp"
#include "options.hpp"

namespace {

constexpr int exit_usage = 2;

const char* const usage_text = R"(usage: vtapctl COMMAND [OPTIONS]

Commands:
  compile --topology T.json --policies P.json --out DIR
      Write DIR/<switch>.groups, DIR/<switch>.flows (and DIR/<switch>.meters when a
      policy has a rate limit) for every switch that needs rules, each loadable by
      ovs-ofctl -O OpenFlow15 --bundle add-groups|add-flows (meters: one
      ovs-ofctl -O OpenFlow15 add-meter per line). Such files left in DIR by an
      earlier compile are removed.
  explain --topology T.json --policies P.json --packet FLOW
      Say which monitors get a copy of FLOW (ovs-fields syntax, e.g.
      'tcp,dl_src=fa:00:00:00:00:01,nw_src=10.1.1.1,tp_dst=80') and why.
  apply --topology T.json --policies P.json --switch NAME=TARGET...
      Bring each named switch to its plan over OpenFlow: read what it holds of
      libvtap's rules, send the minimal change in atomic bundles, confirm with a
      barrier, and report what changed. TARGET as for ovs-ofctl: tcp:IP[:PORT],
      ssl:IP[:PORT] or unix:PATH (e.g. unix:/var/run/openvswitch/br0.mgmt).
  dump --switch NAME=TARGET...
      Print the libvtap-owned meters, groups and flows of each switch in
      ovs-ofctl syntax.
  serve (--topology T.json | --db REMOTE...) --state FILE --switch NAME=TARGET...
        [--interval=MS] [--listen ADDR:PORT --tokens TOKENS.json
        [--tls-cert CERT.pem --tls-key KEY.pem]]
      vtapd, the management daemon: keep every switch holding exactly the plan of
      the policies in FILE (created when missing; each change is appended to
      FILE.journal, folded into FILE now and then and on exit): reconcile on
      start and every MS milliseconds (default 1000), repair drift, reinstall
      after a switch restarts. With --db the topology comes from the Open vSwitch
      databases and follows VMs that appear, move or go away. Serves the HTTP
      API of docs/api.md on the unix socket --unixctl=PATH (default FILE.ctl;
      administrator) and, with --listen (127.0.0.1 unless an address is given),
      over TCP for the bearer tokens of TOKENS.json ({"TOKEN": "TENANT" or "*"}).
      Prints one line per event and request; stops on SIGINT or SIGTERM.
  list | stats | add --policies P.json | modify --policies P.json | remove ID...
        [--unixctl=PATH | --state=FILE | --server http://HOST:PORT [--token T]]
      Ask a running serve: print its policies (policy file JSON), per-policy
      counters (packets and bytes matched, copies sent), add the policies of a
      file (all or none), replace policies by id, or remove policies by id.
      With --wait, add, modify and remove return only once every switch the
      change touches holds it (?wait=applied).
      Over --server the token is --token or $VTAP_TOKEN.
  serve --store ovsdb:REMOTES [--unixctl=PATH] [--listen ... as above]
      vtapd of a cluster: policies and the global topology live in the clustered
      VTAP database at REMOTES (e.g. ovsdb:tcp:10.0.0.1:6641,tcp:10.0.0.2:6641);
      the agents program the switches. Several may serve one database at once.
  agent --db REMOTES --ovsdb REMOTE --switch BRIDGE=TARGET... [--name NODE]
        [--interval=MS] [--stats-interval=MS]
      The agent of one compute node: publish the node's bridges and VM
      interfaces (read from its Open vSwitch database REMOTE) to the VTAP
      database at REMOTES, and keep the node's switches holding their part of
      the plan of every policy there. Translation options must match vtapd's.
      --interval=MS as for serve; every --stats-interval=MS (default 5000; 0:
      never) it publishes its switches' per-policy counters for vtapd's stats.
  schema
      Print the path of vtap.ovsschema, the VTAP database's schema (for
      ovsdb-tool create-cluster).
  discover --db REMOTE [--db REMOTE...]
      Read bridges, VM interfaces (external_ids:attached-mac, iface-id, ip),
      patch ports and tunnels from Open vSwitch databases (one per compute node,
      e.g. unix:/var/run/openvswitch/db.sock) and print the topology as JSON,
      ready for --topology. Needs a vtapctl built with libopenvswitch.

Translation options:
  --forwarding=path|normal|resubmit[:TABLE]
                      how the original leaves the sender's switch (default: path)
  --table=N           table for libvtap's rules (default: 0)
  --copy-table=N      table of the rules that meter and truncate copies (default: 250)
  --priority=N        base priority of libvtap's rules (default: 40000)
  --marks=FIRST-LAST  VLAN IDs reserved to mark copies (default: 3000-4094)
  --groups=FIRST-LAST group ids libvtap owns (default: 0xe0000000-0xefffffff)
  --meters=FIRST-LAST meter ids libvtap owns (default: 0xe0000000-0xefffffff)
  --max-composed=N    bound on composed rules per sender port (default: 4096)
  --assigned-marks=FILE
                      marks already assigned to streams ({"STREAM": VLAN}, as in a
                      cluster's Mark table), for compile, explain and apply

Switch options:
  -O, --protocols=LIST   OpenFlow versions to offer (default:
                         OpenFlow13,OpenFlow14,OpenFlow15)
  --timeout=SECS         give up on a switch (or database) after SECS seconds
                         (default: 30)
  --transport=native|openvswitch
                         libvtap's own OpenFlow codec (default) or Open vSwitch's
                         library (when built with it)
  -p, --private-key=FILE, -c, --certificate=FILE, -C, --ca-cert=FILE
                         PEM files for ssl: targets

Other options:
  -h, --help          show this help
  -V, --version       show the version
Bad input exits with status 2 and one line naming the file, policy and field;
a switch that refuses a change or cannot be reached makes apply/dump exit 1.
)";

unsigned long parse_number(const std::string& name, const std::string& text, unsigned long max) {
  std::size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-' || v > max)
    throw UsageError(name + ": \"" + text + "\" is not a number from 0 to " + std::to_string(max));
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    if (arg == "-h" || arg == "--help") {
      std::cout << usage_text;
      std::exit(0);
    }
    if (arg == "--wait") {
      o.wait = true;
      continue;
    }
    if (arg == "-V" || arg == "--version") {
      std::cout << "vtapctl (libvtap) 0.2.0\n";
      std::exit(0);
    }
    static const std::map<std::string, std::string> short_options{
        {"-O", "--protocols"}, {"-p", "--private-key"}, {"-c", "--certificate"}, {"-C", "--ca-cert"}};
    if (auto it = short_options.find(arg); it != short_options.end()) arg = it->second;
    if (!arg.starts_with("--")) {
      if (o.command.empty()) o.command = arg;
      else if (o.command == "remove") o.arguments.push_back(arg);
      else throw UsageError("unexpected argument \"" + arg + "\"");
      continue;
    }
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw UsageError(arg + " needs a value");
      value = args[++i];
    }
    auto& t = o.translator;
    if (arg == "--topology") o.topology = value;
    else if (arg == "--policies") o.policies = value;
    else if (arg == "--out") o.out = value;
    else if (arg == "--packet") o.packet = value;
    else if (arg == "--state") o.state = value;
    else if (arg == "--unixctl") o.unixctl = value;
    else if (arg == "--interval") o.interval_ms = static_cast<unsigned>(parse_number(arg, value, 3'600'000));
    else if (arg == "--stats-interval") o.stats_interval_ms = static_cast<unsigned>(parse_number(arg, value, 3'600'000));
    else if (arg == "--db") o.databases.push_back(value);
    else if (arg == "--listen") o.listen = value;
    else if (arg == "--tokens") o.tokens = value;
    else if (arg == "--tls-cert") o.tls_cert = value;
    else if (arg == "--tls-key") o.tls_key = value;
    else if (arg == "--server") o.server = value;
    else if (arg == "--token") o.token = value;
    else if (arg == "--store") o.store = value;
    else if (arg == "--ovsdb") o.ovsdb = value;
    else if (arg == "--name") o.name = value;
    else if (arg == "--assigned-marks") o.assigned_marks = value;
    else if (arg == "--transport") {
      if (value != "native" && value != "openvswitch")
        throw UsageError("--transport: \"" + value + "\" is not native or openvswitch");
      o.transport = value;
    }
    else if (arg == "--switch") {
      const auto eq2 = value.find('=');
      if (eq2 == std::string::npos || eq2 == 0)
        throw UsageError("--switch: expected NAME=TARGET, e.g. s1=unix:/var/run/openvswitch/s1.mgmt");
      o.switches.emplace_back(value.substr(0, eq2), value.substr(eq2 + 1));
    } else if (arg == "--protocols") {
      o.session.versions.clear();
      std::size_t start = 0;
      while (start <= value.size()) {
        const auto comma = value.find(',', start);
        const std::string name = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto v = vtap::openflow::version_from_string(name);
        if (!v) throw UsageError("--protocols: \"" + name + "\" is not OpenFlow13, OpenFlow14 or OpenFlow15");
        o.session.versions.push_back(*v);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (arg == "--timeout") {
      o.session.request_timeout = std::chrono::seconds(parse_number(arg, value, 3600));
    } else if (arg == "--private-key") o.session.ssl_private_key = value;
    else if (arg == "--certificate") o.session.ssl_certificate = value;
    else if (arg == "--ca-cert") o.session.ssl_ca_certificate = value;
    else if (arg == "--table") t.table = static_cast<std::uint8_t>(parse_number(arg, value, 254));
    else if (arg == "--copy-table") t.copy_table = static_cast<std::uint8_t>(parse_number(arg, value, 254));
    else if (arg == "--priority") t.priority = static_cast<std::uint16_t>(parse_number(arg, value, 65535));
    else if (arg == "--max-composed") t.max_composed = parse_number(arg, value, 1'000'000);
    else if (arg == "--marks") {
      const auto dash = value.find('-');
      if (dash == std::string::npos) throw UsageError("--marks: expected FIRST-LAST, e.g. 3000-4094");
      t.first_mark = static_cast<std::uint16_t>(parse_number(arg, value.substr(0, dash), 4094));
      t.last_mark = static_cast<std::uint16_t>(parse_number(arg, value.substr(dash + 1), 4094));
    } else if (arg == "--groups" || arg == "--meters") {
      try {
        const bool groups = arg == "--groups";
        (groups ? t.groups : t.meters) =
            vtap::IdRange::parse(value, arg, groups ? vtap::max_group_id : vtap::max_meter_id);
      } catch (const vtap::ParseError& e) {
        throw UsageError(e.what());
      }
    } else if (arg == "--forwarding") {
      if (value == "path") t.forwarding = vtap::Forwarding::path;
      else if (value == "normal") t.forwarding = vtap::Forwarding::normal;
      else if (value.starts_with("resubmit")) {
        t.forwarding = vtap::Forwarding::resubmit;
        if (value.size() > 8) {
          if (value[8] != ':') throw UsageError("--forwarding: expected resubmit:TABLE");
          t.resubmit_table = static_cast<std::uint8_t>(parse_number(arg, value.substr(9), 254));
        }
      } else {
        throw UsageError("--forwarding: \"" + value + "\" is not path, normal or resubmit[:TABLE]");
      }
    } else {
      throw UsageError("unknown option " + arg);
    }
  }
  if (o.command.empty()) throw UsageError("missing command (try --help)");
  return o;
}

}  // namespace

// Loads topology and policies into a translator; every error names the file.
vtap::Translator load(const Options& o) {
  if (!o.topology) throw UsageError(o.command + ": --topology is required");
  if (!o.policies) throw UsageError(o.command + ": --policies is required");
  vtap::TranslatorOptions options = o.translator;
  if (o.assigned_marks) {
    try {
      options.assigned_marks = vtap::read_json_file(*o.assigned_marks).get<std::map<std::string, std::uint16_t>>();
    } catch (const nlohmann::json::exception& e) {
      throw vtap::ParseError(o.assigned_marks->string() + ": " + e.what());
    }
  }
  vtap::Translator translator(vtap::load_topology(*o.topology), options);
  for (const auto& p : vtap::load_policies(*o.policies)) {
    try {
      translator.add(p);
    } catch (const vtap::Error& e) {
      throw vtap::ParseError(o.policies->string() + ": " + e.what());
    }
  }
  return translator;
}

namespace {

std::string lines(const auto& items) {
  std::string s;
  for (const auto& item : items) s += item.to_string() + "\n";
  return s;
}

int compile(const Options& o) {
  if (!o.out) throw UsageError("compile: --out is required");
  const vtap::Plan plan = load(o).plan();
  // Everything is rendered before anything is written, so bad input produces nothing.
  std::map<std::filesystem::path, std::string> files;
  for (const auto& [name, sp] : plan.switches) {
    files[*o.out / (name + ".groups")] = lines(sp.groups);
    files[*o.out / (name + ".flows")] = lines(sp.flows);
    if (!sp.meters.empty()) files[*o.out / (name + ".meters")] = lines(sp.meters);
  }
  std::filesystem::create_directories(*o.out);
  // Files of an earlier compile that this plan no longer has would mislead whoever loads DIR.
  for (const auto& entry : std::filesystem::directory_iterator(*o.out)) {
    const auto ext = entry.path().extension();
    if ((ext == ".groups" || ext == ".flows" || ext == ".meters") && !files.contains(entry.path()))
      std::filesystem::remove(entry.path());
  }
  for (const auto& [path, text] : files) {
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, path);
  }
  for (const auto& [name, sp] : plan.switches)
    std::cout << name << ": " << sp.meters.size() << " meters, " << sp.groups.size() << " groups, "
              << sp.flows.size() << " flows\n";
  return 0;
}

int explain(const Options& o) {
  if (!o.packet) throw UsageError("explain: --packet is required");
  const vtap::Translator translator = load(o);
  vtap::Match packet;
  try {
    packet = vtap::Match::parse(*o.packet);
  } catch (const vtap::Error& e) {
    throw vtap::ParseError(std::string("--packet: ") + e.what());
  }
  const auto ex = vtap::explain(translator, packet);
  std::cout << ex.to_string();
  return ex.to_string().find("WARNING") == std::string::npos ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse_args(argc, argv);
    if (o.command == "compile") return compile(o);
    if (o.command == "explain") return explain(o);
    if (o.command == "apply") return apply(o, load(o).plan());
    if (o.command == "dump") return dump(o);
    if (o.command == "serve") return serve(o);
    if (o.command == "list" || o.command == "add" || o.command == "modify" || o.command == "remove" ||
        o.command == "stats")
      return control(o);
    if (o.command == "discover") return discover(o);
    if (o.command == "agent") return agent(o);
    if (o.command == "schema") return schema(o);
    throw UsageError("unknown command \"" + o.command + "\" (try --help)");
  } catch (const std::exception& e) {
    std::cerr << "vtapctl: " << e.what() << "\n";
    return exit_usage;
  }
}
