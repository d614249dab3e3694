// Policy-to-first-copy latency: with a probe stream running from a sender to a receiver
// (raw frames every --gap-us microseconds), the time from Service::add to the first copy
// captured at the monitor; beside it the same for creating an OVS Mirror with ovs-vsctl.
// Prints one JSON line per method with every trial's latency in milliseconds.
// bench/latency.py builds the network (namespaces, veth, a netdev bridge) and runs this.
//
//   bench_latency --topology T.json --switch s1=unix:... --sender NS:IF --monitor NS:IF
//                 --sender-mac M --receiver-mac M --monitor-mac M --trials N
//                 [--mirror "OVS-VSCTL ARGS TO CREATE" "OVS-VSCTL ARGS TO CLEAR"]

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "libvtap/json.hpp"
#include "libvtap/service.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint16_t probe_port = 47001;

// An AF_PACKET socket on interface `ifname` inside network namespace `ns`.
int packet_socket(const std::string& ns, const std::string& ifname) {
  const int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (self < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) throw vtap::Error("cannot enter netns " + ns);
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
  const bool ok = fd >= 0 && addr.sll_ifindex != 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::setns(self, CLONE_NEWNET);
  ::close(self);
  ::close(target);
  if (!ok) throw vtap::Error("cannot open a packet socket on " + ns + ":" + ifname);
  return fd;
}

// An Ethernet/IPv4/UDP frame to the probe port.
std::vector<std::uint8_t> probe_frame(const vtap::MacAddress& src, const vtap::MacAddress& dst) {
  std::vector<std::uint8_t> f(60, 0);
  std::memcpy(f.data(), dst.bytes().data(), 6);
  std::memcpy(f.data() + 6, src.bytes().data(), 6);
  f[12] = 0x08;                      // IPv4
  f[14] = 0x45;                      // version 4, 5 words
  f[17] = 46;                        // total length 20 + 8 + 18
  f[22] = 64;                        // TTL
  f[23] = 17;                        // UDP
  const std::uint8_t ips[8] = {10, 9, 0, 1, 10, 9, 0, 2};
  std::memcpy(f.data() + 26, ips, 8);
  std::uint32_t sum = 0;
  for (int i = 14; i < 34; i += 2) sum += static_cast<std::uint32_t>(f[i] << 8 | f[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<std::uint8_t>(~sum >> 8);
  f[25] = static_cast<std::uint8_t>(~sum);
  f[34] = probe_port >> 8, f[35] = probe_port & 0xff;  // source port
  f[36] = probe_port >> 8, f[37] = probe_port & 0xff;  // destination port
  f[39] = 26;                                          // UDP length
  return f;
}

bool is_probe(const std::uint8_t* p, ssize_t n) {
  return n >= 38 && p[12] == 0x08 && p[13] == 0 && p[23] == 17 && p[36] == (probe_port >> 8) && p[37] == (probe_port & 0xff);
}

// Waits for the next probe frame on `fd`; returns its arrival time, or nothing after `limit`.
std::optional<Clock::time_point> next_probe(int fd, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::uint8_t buf[2048];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left))) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (is_probe(buf, n)) return Clock::now();
  }
  return std::nullopt;
}

// Reads until no probe has arrived for `quiet`.
void drain(int fd, std::chrono::milliseconds quiet) {
  while (next_probe(fd, quiet)) {
  }
}

std::pair<std::string, std::string> split(const std::string& ns_if) {
  const auto colon = ns_if.find(':');
  if (colon == std::string::npos) throw vtap::Error("expected NAMESPACE:INTERFACE, not " + ns_if);
  return {ns_if.substr(0, colon), ns_if.substr(colon + 1)};
}

void print(const char* method, const std::vector<double>& ms, std::size_t missed) {
  std::cout << "{\"method\": \"" << method << "\", \"missed\": " << missed << ", \"ms\": [";
  for (std::size_t i = 0; i < ms.size(); ++i) std::cout << (i ? ", " : "") << ms[i];
  std::cout << "]}" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topology, sw, target, sender, monitor, mirror_add, mirror_clear;
  std::optional<vtap::MacAddress> smac, rmac, mmac;
  int trials = 200, gap_us = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--topology") topology = v;
    else if (k == "--switch") sw = v.substr(0, v.find('=')), target = v.substr(v.find('=') + 1);
    else if (k == "--sender") sender = v;
    else if (k == "--monitor") monitor = v;
    else if (k == "--sender-mac") smac = vtap::MacAddress::parse(v);
    else if (k == "--receiver-mac") rmac = vtap::MacAddress::parse(v);
    else if (k == "--monitor-mac") mmac = vtap::MacAddress::parse(v);
    else if (k == "--trials") trials = std::stoi(v);
    else if (k == "--gap-us") gap_us = std::stoi(v);
    else if (k == "--mirror-add") mirror_add = v;
    else if (k == "--mirror-clear") mirror_clear = v;
    else {
      std::cerr << "bench_latency: unknown option " << k << "\n";
      return 2;
    }
  }
  try {
    const auto [sns, sif] = split(sender);
    const auto [mns, mif] = split(monitor);
    const int tx = packet_socket(sns, sif), rx = packet_socket(mns, mif);
    const auto frame = probe_frame(*smac, *rmac);
    std::atomic<bool> running = true;
    std::thread probe([&] {
      auto next = Clock::now();
      while (running) {
        ::send(tx, frame.data(), frame.size(), 0);
        next += std::chrono::microseconds(gap_us);
        std::this_thread::sleep_until(next);
      }
    });

    vtap::Service service(vtap::load_topology(topology), {{sw, target}}, vtap::make_native_transport());
    service.reconcile();
    vtap::TapPolicy p;
    p.sender.mac = smac;
    p.receiver.mac = rmac;
    p.monitor.mac = mmac;
    p.filter = vtap::Match::parse("udp");
    const auto quiet = std::chrono::milliseconds(20);
    std::vector<double> ours, add_call, mirror;
    std::size_t missed_ours = 0, missed_mirror = 0;
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    for (int t = 0; t < trials; ++t) {
      drain(rx, quiet);
      const auto start = Clock::now();
      const auto id = service.add(p);
      const auto added = Clock::now();
      const auto seen = next_probe(rx, std::chrono::seconds(2));
      if (seen) ours.push_back(ms(*seen - start)), add_call.push_back(ms(added - start));
      else ++missed_ours;
      service.remove(id);
    }
    if (!mirror_add.empty())
      for (int t = 0; t < trials; ++t) {
        drain(rx, quiet);
        const auto start = Clock::now();
        if (std::system(mirror_add.c_str()) != 0) throw vtap::Error("mirror creation failed: " + mirror_add);
        const auto seen = next_probe(rx, std::chrono::seconds(2));
        if (seen) mirror.push_back(ms(*seen - start));
        else ++missed_mirror;
        if (std::system(mirror_clear.c_str()) != 0) throw vtap::Error("mirror removal failed: " + mirror_clear);
      }
    running = false;
    probe.join();
    print("libvtap", ours, missed_ours);
    print("libvtap-add-call", add_call, 0);
    if (!mirror_add.empty()) print("ovs-mirror", mirror, missed_mirror);
  } catch (const std::exception& e) {
    std::cerr << "bench_latency: " << e.what() << "\n";
    return 1;
  }
}
