// Policy-to-first-copy latency: with a probe stream running from a sender to a receiver
// (raw frames every --gap-us microseconds), the time from Service::add to the first copy
// captured at the monitor; beside it, interleaved, the same for each peer: a shell command
// that starts the copying (e.g. ovs-ofctl installing the same rules, or ovs-vsctl creating
// a Mirror) and one that stops it. Prints one JSON line per method with every trial's
// latency in milliseconds, from the start of the change and from its return.
// bench/latency.py builds the network (namespaces, veth, a netdev bridge) and runs this.
//
//   bench_latency --topology T.json --switch s1=unix:... --sender NS:IF --monitor NS:IF
//                 --sender-mac M --receiver-mac M --monitor-mac M --trials N
//                 [--peer NAME "COMMAND TO START COPYING" "COMMAND TO STOP"]...

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "libvtap/model/json.hpp"
#include "libvtap/service/service.hpp"
#include "libvtap/native/native_transport.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::duration<double, std::milli>;
constexpr auto quiet = std::chrono::milliseconds(20);  // no probe for this long: no copies in flight
constexpr auto limit = std::chrono::seconds(2);        // a trial without a copy by then is missed
constexpr auto stop_limit = std::chrono::seconds(10);  // copies must have stopped by then after a stop
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

// Waits for the next probe frame on `fd`; returns its arrival time, or nothing after `within`.
std::optional<Clock::time_point> next_probe(int fd, std::chrono::milliseconds within) {
  const auto deadline = Clock::now() + within;
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

// Reads until no probe has arrived for `quiet`; throws if copies still arrive after `stop_limit`.
void drain(int fd, const std::string& method) {
  const auto deadline = Clock::now() + stop_limit;
  while (next_probe(fd, quiet))
    if (Clock::now() > deadline) throw vtap::Error("the monitor still gets copies 10 s after " + method + " stopped");
}

std::pair<std::string, std::string> split(const std::string& ns_if) {
  const auto colon = ns_if.find(':');
  if (colon == std::string::npos) throw vtap::Error("expected NAMESPACE:INTERFACE, not " + ns_if);
  return {ns_if.substr(0, colon), ns_if.substr(colon + 1)};
}

struct Latencies {
  std::vector<double> ms;      // from the start of the change to the first copy
  std::vector<double> settle;  // from the change's return (the switch confirmed it) to the first copy
  std::size_t missed = 0;
};

struct Peer {
  std::string name, start, stop;
};

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw vtap::Error("command failed: " + command);
}

// One trial: start copying, time the first copy on `rx`, stop copying and wait until the copies stop.
template <typename Start, typename Stop>
void trial(int rx, const std::string& method, Latencies& out, Start start, Stop stop) {
  const auto begin = Clock::now();
  start();
  const auto started = Clock::now();
  if (const auto seen = next_probe(rx, limit)) {
    out.ms.push_back(Millis(*seen - begin).count());
    out.settle.push_back(Millis(*seen - started).count());
  } else {
    ++out.missed;
  }
  stop();
  drain(rx, method);
}

void print(const std::string& method, const Latencies& l) {
  auto list = [](const std::vector<double>& ms) {
    std::string out;
    for (const double m : ms) out += (out.empty() ? "" : ", ") + std::to_string(m);
    return "[" + out + "]";
  };
  std::cout << "{\"method\": \"" << method << "\", \"limit_ms\": " << Millis(limit).count()
            << ", \"missed\": " << l.missed << ", \"ms\": " << list(l.ms)
            << ", \"settle_ms\": " << list(l.settle) << "}" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topology, sw, target, sender, monitor;
  std::optional<vtap::MacAddress> smac, rmac, mmac;
  std::vector<Peer> peers;
  int trials = 200, gap_us = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--peer") {
      if (i + 3 >= argc) {
        std::cerr << "bench_latency: --peer needs NAME START-COMMAND STOP-COMMAND\n";
        return 2;
      }
      peers.push_back({v, argv[i + 2], argv[i + 3]});
      i += 2;
    } else if (k == "--topology") topology = v;
    else if (k == "--switch") sw = v.substr(0, v.find('=')), target = v.substr(v.find('=') + 1);
    else if (k == "--sender") sender = v;
    else if (k == "--monitor") monitor = v;
    else if (k == "--sender-mac") smac = vtap::MacAddress::parse(v);
    else if (k == "--receiver-mac") rmac = vtap::MacAddress::parse(v);
    else if (k == "--monitor-mac") mmac = vtap::MacAddress::parse(v);
    else if (k == "--trials") trials = std::stoi(v);
    else if (k == "--gap-us") gap_us = std::stoi(v);
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
    const std::jthread probe([&](std::stop_token stop) {
      auto next = Clock::now();
      while (!stop.stop_requested()) {
        ::send(tx, frame.data(), frame.size(), 0);
        next += std::chrono::microseconds(gap_us);
        std::this_thread::sleep_until(next);
      }
    });

    vtap::Service service(vtap::load_topology(topology), {{sw, target}}, vtap::make_native_transport());
    service.reconcile();
    vtap::TapPolicy policy;
    policy.sender.mac = smac;
    policy.receiver.mac = rmac;
    policy.monitor.mac = mmac;
    policy.filter = vtap::Match::parse("udp");
    // Interleaved, so that the machine's load drifts alike for every method.
    drain(rx, "the start");
    Latencies ours;
    std::vector<Latencies> theirs(peers.size());
    for (int t = 0; t < trials; ++t) {
      std::uint32_t id = 0;
      trial(rx, "libvtap", ours, [&] { id = service.add(policy); }, [&] { service.remove(id); });
      for (std::size_t k = 0; k < peers.size(); ++k)
        trial(rx, peers[k].name, theirs[k], [&] { run(peers[k].start); }, [&] { run(peers[k].stop); });
    }
    print("libvtap", ours);
    for (std::size_t k = 0; k < peers.size(); ++k) print(peers[k].name, theirs[k]);
  } catch (const std::exception& e) {
    std::cerr << "bench_latency: " << e.what() << "\n";
    return 1;
  }
}
