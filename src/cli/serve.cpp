// vtapctl serve: a Service with a state file, driven over a unix control socket (one JSON
// request per line, one JSON reply per line, as ovs-appctl talks to its daemons); and the
// client commands list, add, remove and stats.

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "libvtap/model/json.hpp"
#include "libvtap/service/service.hpp"
#include "libvtap/native/native_transport.hpp"
#include "options.hpp"

namespace {

using nlohmann::json;
using namespace vtap;

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) { stop_requested = 1; }

std::filesystem::path socket_path(const Options& o) {
  if (o.unixctl) return *o.unixctl;
  if (o.state) return o.state->string() + ".ctl";
  throw UsageError(o.command + ": give --unixctl=PATH or --state=FILE of the running serve");
}

// A unix stream socket, closed on every exit path.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_un address(const std::filesystem::path& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof a.sun_path) throw UsageError("--unixctl: path too long: " + path.string());
  std::strcpy(a.sun_path, path.c_str());
  return a;
}

bool write_all(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// One line, at most 64 MiB, within `timeout_ms`; nullopt on EOF, error or time-out.
std::optional<std::string> read_line(int fd, int timeout_ms) {
  std::string line;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || line.size() > (64u << 20)) return std::nullopt;
    line.append(buf, static_cast<std::size_t>(n));
  }
  return line.substr(0, line.find('\n'));
}

json stats_json(const std::map<std::uint32_t, PolicyStats>& stats) {
  json out = json::array();
  for (const auto& [id, s] : stats)
    out.push_back({{"id", id}, {"packets", s.packets}, {"bytes", s.bytes}, {"copies", s.copies}, {"copy_bytes", s.copy_bytes}});
  return out;
}

// Runs one request against the service; the reply is {"result": ...} or {"error": "..."}.
json handle(Service& service, const json& request) {
  const std::string command = request.at("command").get<std::string>();
  if (command == "list") return {{"result", policies_to_json(service.list())}};
  if (command == "stats") return {{"result", stats_json(service.stats())}};
  if (command == "add") {
    std::vector<std::uint32_t> added;
    try {
      for (auto& p : policies_from_json(request.at("policies"))) added.push_back(service.add(p));
    } catch (...) {
      for (auto id : added) service.remove(id);  // all or none
      throw;
    }
    return {{"result", added}};
  }
  if (command == "remove") {
    const auto ids = request.at("ids").get<std::vector<std::uint32_t>>();
    for (auto id : ids)
      if (!service.get(id)) throw Error("no policy " + std::to_string(id));
    for (auto id : ids) service.remove(id);
    return {{"result", ids}};
  }
  throw Error("unknown command \"" + command + "\"");
}

std::string now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return s.str();
}

}  // namespace

int serve(const Options& o) {
  if (!o.topology) throw UsageError("serve: --topology is required");
  if (!o.state) throw UsageError("serve: --state is required");
  std::map<std::string, std::string> targets;
  for (const auto& [name, target] : o.switches) {
    openflow::Target::parse(target);
    if (!targets.emplace(name, target).second) throw UsageError("--switch: " + name + " given twice");
  }
  ServiceOptions options{o.translator, o.session, make_file_store(*o.state)};
  Service service(load_topology(*o.topology), targets, make_native_transport(), options);
  service.on_event([](const ServiceEvent& e) {
    std::cout << now() << " " << to_string(e.kind);
    if (!e.switch_name.empty()) std::cout << " " << e.switch_name;
    if (e.policy_id) std::cout << " policy " << *e.policy_id;
    std::cout << ": " << e.detail << std::endl;
  });

  const auto path = socket_path(o);
  Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un addr = address(path);
  ::unlink(path.c_str());
  if (listener.fd < 0 || ::bind(listener.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.fd, 16) != 0)
    throw Error(path.string() + ": cannot listen: " + std::strerror(errno));
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);

  service.reconcile();
  service.start(std::chrono::milliseconds(o.interval_ms));
  std::cout << now() << " serving " << service.list().size() << " policies on " << targets.size()
            << " switches; control socket " << path.string() << std::endl;
  while (!stop_requested) {
    pollfd p{listener.fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    Fd client(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (client.fd < 0) continue;
    json reply;
    try {
      const auto line = read_line(client.fd, 5000);
      if (!line) continue;
      reply = handle(service, json::parse(*line));
    } catch (const std::exception& e) {
      reply = {{"error", e.what()}};
    }
    write_all(client.fd, reply.dump() + "\n");
  }
  service.stop();
  ::unlink(path.c_str());
  std::cout << now() << " stopped" << std::endl;
  return 0;
}

int control(const Options& o) {
  json request{{"command", o.command}};
  if (o.command == "add") {
    if (!o.policies) throw UsageError("add: --policies is required");
    request["policies"] = policies_to_json(load_policies(*o.policies));
  }
  if (o.command == "remove") {
    if (o.arguments.empty()) throw UsageError("remove: give the ids of the policies to remove");
    std::vector<std::uint32_t> ids;
    for (const auto& a : o.arguments) {
      if (a.empty() || a.find_first_not_of("0123456789") != std::string::npos || a.size() > 10)
        throw UsageError("remove: \"" + a + "\" is not a policy id");
      ids.push_back(static_cast<std::uint32_t>(std::stoul(a)));
    }
    request["ids"] = ids;
  }
  const auto path = socket_path(o);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un addr = address(path);
  if (fd.fd < 0 || ::connect(fd.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw Error(path.string() + ": cannot connect to vtapctl serve: " + std::strerror(errno));
  if (!write_all(fd.fd, request.dump() + "\n")) throw Error(path.string() + ": connection lost");
  const auto line = read_line(fd.fd, o.session.request_timeout.count() > 0 ? static_cast<int>(o.session.request_timeout.count()) : 30000);
  if (!line) throw Error(path.string() + ": no reply from vtapctl serve");
  const json reply = json::parse(*line);
  if (reply.contains("error")) {
    std::cerr << "vtapctl: " << reply.at("error").get<std::string>() << "\n";
    return 1;
  }
  const json& result = reply.at("result");
  if (o.command == "list") std::cout << result.dump(2) << "\n";
  else if (o.command == "stats") {
    std::cout << std::left << std::setw(8) << "policy" << std::right << std::setw(12) << "packets" << std::setw(14)
              << "bytes" << std::setw(12) << "copies" << std::setw(14) << "copy_bytes" << "\n";
    for (const auto& s : result)
      std::cout << std::left << std::setw(8) << s.at("id").get<std::uint32_t>() << std::right << std::setw(12) << s.at("packets").get<std::uint64_t>()
                << std::setw(14) << s.at("bytes").get<std::uint64_t>() << std::setw(12)
                << s.at("copies").get<std::uint64_t>() << std::setw(14) << s.at("copy_bytes").get<std::uint64_t>() << "\n";
  } else {
    const char* verb = o.command == "add" ? "added" : "removed";
    for (auto id : result) std::cout << verb << " policy " << id.get<std::uint32_t>() << "\n";
  }
  return 0;
}
