// Installs a translated plan into one switch over the native transport and prints, as one
// JSON line, the wall time from the first byte sent to the last barrier reply, and the CPU
// time this process spent. bench/install.py runs it beside `ovs-ofctl --bundle`.
//
//   bench_install --target unix:/path/br.mgmt --topology T.json --policies P.json --switch s1

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "libvtap/json.hpp"
#include "libvtap/openflow/installer.hpp"

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string target, topology, policies, name = "s1";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--target") target = value;
    else if (key == "--topology") topology = value;
    else if (key == "--policies") policies = value;
    else if (key == "--switch") name = value;
  }
  try {
    vtap::Translator translator(vtap::load_topology(topology));
    for (const auto& p : vtap::load_policies(policies)) translator.add(p);
    const vtap::SwitchPlan plan = translator.plan(name);

    boost::asio::io_context io;
    std::shared_ptr<vtap::openflow::Session> session;
    vtap::openflow::Session::async_connect(io, vtap::openflow::Target::parse(target), {},
                                           [&](std::error_code ec, std::shared_ptr<vtap::openflow::Session> s) {
                                             if (ec) throw vtap::Error("connect: " + ec.message());
                                             session = std::move(s);
                                           });
    io.run();
    io.restart();
    const double cpu_before = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    std::error_code result;
    vtap::openflow::InstallReport report;
    vtap::openflow::async_install(session, plan, [&](std::error_code ec, vtap::openflow::InstallReport r) {
      result = ec;
      report = std::move(r);
      session->close();
    });
    io.run();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (result) throw vtap::Error("install: " + result.message());
    std::printf("{\"wall_s\": %.6f, \"cpu_s\": %.6f, \"flows\": %zu, \"groups\": %zu, \"bundles\": %zu}\n", wall,
                cpu_seconds() - cpu_before, plan.flows.size(), plan.groups.size(), report.bundle.bundles);
  } catch (const std::exception& e) {
    std::cerr << "bench_install: " << e.what() << "\n";
    return 1;
  }
}
