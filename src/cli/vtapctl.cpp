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

#include "libvtap/error.hpp"
#include "libvtap/explain.hpp"
#include "libvtap/json.hpp"
#include "libvtap/translator.hpp"

namespace {

constexpr int exit_usage = 2;

const char* const usage_text = R"(usage: vtapctl COMMAND [OPTIONS]

Commands:
  compile --topology T.json --policies P.json --out DIR
      Write DIR/<switch>.groups, DIR/<switch>.flows (and DIR/<switch>.meters when a
      policy has a rate limit) for every switch that needs rules, each loadable by
      ovs-ofctl -O OpenFlow15 --bundle add-groups|add-flows (meters: one
      ovs-ofctl -O OpenFlow15 add-meter per line).
  explain --topology T.json --policies P.json --packet FLOW
      Say which monitors get a copy of FLOW (ovs-fields syntax, e.g.
      'tcp,dl_src=fa:00:00:00:00:01,nw_src=10.1.1.1,tp_dst=80') and why.

Translation options:
  --forwarding=path|normal|resubmit[:TABLE]
                      how the original leaves the sender's switch (default: path)
  --table=N           table for libvtap's rules (default: 0)
  --copy-table=N      table of the rules that meter and truncate copies (default: 250)
  --priority=N        base priority of libvtap's rules (default: 40000)
  --marks=FIRST-LAST  VLAN IDs reserved to mark copies (default: 3000-4094)
  --max-composed=N    bound on composed rules per sender port (default: 4096)

Other options:
  -h, --help          show this help
  -V, --version       show the version
Bad input exits with status 2 and one line naming the file, policy and field.
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string command;
  std::optional<std::filesystem::path> topology, policies, out;
  std::optional<std::string> packet;
  vtap::TranslatorOptions translator;
};

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
    if (arg == "-V" || arg == "--version") {
      std::cout << "vtapctl (libvtap) 0.1.0\n";
      std::exit(0);
    }
    if (!arg.starts_with("--")) {
      if (!o.command.empty()) throw UsageError("unexpected argument \"" + arg + "\"");
      o.command = arg;
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
    else if (arg == "--table") t.table = static_cast<std::uint8_t>(parse_number(arg, value, 254));
    else if (arg == "--copy-table") t.copy_table = static_cast<std::uint8_t>(parse_number(arg, value, 254));
    else if (arg == "--priority") t.priority = static_cast<std::uint16_t>(parse_number(arg, value, 65535));
    else if (arg == "--max-composed") t.max_composed = parse_number(arg, value, 1'000'000);
    else if (arg == "--marks") {
      const auto dash = value.find('-');
      if (dash == std::string::npos) throw UsageError("--marks: expected FIRST-LAST, e.g. 3000-4094");
      t.first_mark = static_cast<std::uint16_t>(parse_number(arg, value.substr(0, dash), 4094));
      t.last_mark = static_cast<std::uint16_t>(parse_number(arg, value.substr(dash + 1), 4094));
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

// Loads topology and policies into a translator; every error names the file.
vtap::Translator load(const Options& o) {
  if (!o.topology) throw UsageError(o.command + ": --topology is required");
  if (!o.policies) throw UsageError(o.command + ": --policies is required");
  vtap::Translator translator(vtap::load_topology(*o.topology), o.translator);
  for (const auto& p : vtap::load_policies(*o.policies)) {
    try {
      translator.add(p);
    } catch (const vtap::Error& e) {
      throw vtap::ParseError(o.policies->string() + ": " + e.what());
    }
  }
  return translator;
}

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
    throw UsageError("unknown command \"" + o.command + "\" (try --help)");
  } catch (const std::exception& e) {
    std::cerr << "vtapctl: " << e.what() << "\n";
    return exit_usage;
  }
}
