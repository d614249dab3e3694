// vtapctl apply / dump: talk to switches over the native OpenFlow session.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>

#include "libvtap/openflow/installer.hpp"
#include "options.hpp"

namespace {

using namespace vtap;
using openflow::Session;

struct Connected {
  std::string name;
  openflow::Target target;
};

std::vector<Connected> parse_switches(const Options& o) {
  if (o.switches.empty()) throw UsageError(o.command + ": give at least one --switch NAME=TARGET");
  std::vector<Connected> out;
  std::map<std::string, bool> seen;
  for (const auto& [name, target] : o.switches) {
    if (seen[name]) throw UsageError("--switch: " + name + " given twice");
    seen[name] = true;
    out.push_back(Connected{name, openflow::Target::parse(target)});
  }
  return out;
}

std::string describe(const Session& s) {
  char dpid[20];
  std::snprintf(dpid, sizeof dpid, "%016llx", static_cast<unsigned long long>(s.datapath_id()));
  return s.target().to_string() + ", " + std::string(openflow::to_string(s.version())) + ", dpid " + dpid;
}

std::string error_text(std::error_code ec) {
  return ec.category() == openflow::openflow_category() ? ec.message() : ec.message() + " (" + ec.category().name() + ")";
}

// Runs `work` for every switch once connected, all on one io_context; returns the exit status.
template <class Work>
int for_each_switch(const Options& o, Work work) {
  const auto switches = parse_switches(o);
  boost::asio::io_context io;
  int status = 0;
  for (const auto& sw : switches) {
    Session::async_connect(io, sw.target, o.session,
                           [&, name = sw.name, target = sw.target](std::error_code ec, std::shared_ptr<Session> s) {
                             if (ec) {
                               std::cerr << "vtapctl: " << name << " (" << target.to_string()
                                         << "): cannot connect: " << error_text(ec) << "\n";
                               status = 1;
                               return;
                             }
                             work(name, s, status);
                           });
  }
  io.run();
  return status;
}

std::string rule_text(const openflow::Message& m) {
  if (const auto* f = std::get_if<openflow::FlowMod>(&m)) return "flow " + f->rule.to_string();
  if (const auto* g = std::get_if<openflow::GroupMod>(&m)) return "group " + g->group.to_string();
  return std::string(openflow::type_name(m));
}

}  // namespace

int apply(const Options& o, const Plan& plan) {
  std::map<std::string, bool> named;
  for (const auto& [name, target] : o.switches) named[name] = true;
  for (const auto& [name, sp] : plan.switches)
    if (!named.contains(name))
      std::cerr << "vtapctl: note: " << name << " needs " << sp.flows.size() << " flows but no --switch was given for it\n";
  return for_each_switch(o, [&](const std::string& name, std::shared_ptr<Session> s, int& status) {
    auto found = plan.switches.find(name);
    SwitchPlan want = found == plan.switches.end() ? SwitchPlan{} : found->second;
    const auto start = std::chrono::steady_clock::now();
    openflow::async_install(s, std::move(want), [&, name, s, start](std::error_code ec, openflow::InstallReport r) {
      const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (ec) {
        std::cerr << "vtapctl: " << name << " (" << describe(*s) << "): " << error_text(ec);
        if (r.bundle.failed_index)
          std::cerr << " refusing " << rule_text(r.change.bundle[*r.bundle.failed_index])
                    << "; its bundle was discarded";
        std::cerr << "\n";
        status = 1;
      } else {
        char took[32];
        std::snprintf(took, sizeof took, "%.1f ms", ms);
        std::cout << name << " (" << describe(*s) << "): " << r.change.summary() << " in " << r.bundle.bundles
                  << (r.bundle.bundles == 1 ? " bundle" : " bundles") << " (" << took << ")\n";
      }
      s->close();
    });
  });
}

int dump(const Options& o) {
  return for_each_switch(o, [&](const std::string& name, std::shared_ptr<Session> s, int& status) {
    openflow::async_read_state(s, [&, name, s](std::error_code ec, SwitchPlan state) {
      if (ec) {
        std::cerr << "vtapctl: " << name << " (" << describe(*s) << "): " << error_text(ec) << "\n";
        status = 1;
      } else {
        std::cout << name << " (" << describe(*s) << "):\n";
        for (const auto& m : state.meters) std::cout << " " << m.to_string() << "\n";
        for (const auto& g : state.groups) std::cout << " " << g.to_string() << "\n";
        for (const auto& f : state.flows) std::cout << " " << f.to_string() << "\n";
      }
      s->close();
    });
  });
}
