// vtapctl list | stats | add | modify | remove: clients of a running vtapd's HTTP API, over
// its unix socket (administrator) or, with --server, over TCP with a token.

#include <sys/socket.h>
#include <sys/time.h>

#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "options.hpp"

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

struct Reply {
  unsigned status = 0;
  json body;
};

class Client {
 public:
  explicit Client(const Options& o) : o_(o) {
    if (o.server) {
      std::string rest = *o.server;
      if (rest.starts_with("https://")) throw UsageError("--server: https is not supported by vtapctl yet; use curl");
      if (rest.starts_with("http://")) rest.erase(0, 7);
      while (!rest.empty() && rest.back() == '/') rest.pop_back();
      const auto colon = rest.rfind(':');
      if (colon == std::string::npos) throw UsageError("--server: expected http://HOST:PORT");
      host_ = rest.substr(0, colon);
      port_ = rest.substr(colon + 1);
      if (o.token) token_ = *o.token;
      else if (const char* t = std::getenv("VTAP_TOKEN")) token_ = t;
    } else {
      path_ = socket_path(o);
    }
  }

  Reply call(http::verb method, const std::string& target, const std::optional<json>& body = std::nullopt) {
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, host_.empty() ? "localhost" : host_);
    req.set(http::field::user_agent, "vtapctl");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    if (body) {
      req.set(http::field::content_type, "application/json");
      req.body() = body->dump();
    }
    req.prepare_payload();
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    boost::beast::flat_buffer buffer;
    if (path_.empty()) {
      net::ip::tcp::socket socket(ioc_);
      boost::system::error_code ec;
      net::connect(socket, net::ip::tcp::resolver(ioc_).resolve(host_, port_, ec), ec);
      if (ec) throw vtap::Error(*o_.server + ": cannot connect to vtapd: " + ec.message());
      exchange(socket, req, parser, buffer, *o_.server);
    } else {
      net::local::stream_protocol::socket socket(ioc_);
      boost::system::error_code ec;
      socket.connect(net::local::stream_protocol::endpoint(path_.string()), ec);
      if (ec) throw UsageError(path_.string() + ": cannot connect to vtapctl serve: " + ec.message());
      exchange(socket, req, parser, buffer, path_.string());
    }
    Reply r{parser.get().result_int(), json()};
    if (!parser.get().body().empty()) r.body = json::parse(parser.get().body(), nullptr, false);
    return r;
  }

 private:
  template <class Socket>
  void exchange(Socket& socket, http::request<http::string_body>& req, http::response_parser<http::string_body>& parser,
                boost::beast::flat_buffer& buffer, const std::string& where) {
    const auto ms = o_.session.request_timeout.count() > 0 ? o_.session.request_timeout.count() : 30000;
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    boost::system::error_code ec;
    http::write(socket, req, ec);
    if (!ec) http::read(socket, buffer, parser, ec);
    if (ec) throw vtap::Error(where + ": no reply from vtapd: " + ec.message());
  }

  const Options& o_;
  net::io_context ioc_;
  std::filesystem::path path_;
  std::string host_, port_, token_;
};

// The API's error message of a failed call (or its status).
[[noreturn]] void fail(const Reply& r) {
  if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_object())
    throw vtap::Error(r.body["error"].value("message", "HTTP " + std::to_string(r.status)));
  throw vtap::Error("vtapd answered HTTP " + std::to_string(r.status));
}

std::vector<std::uint32_t> ids_of(const Options& o) {
  if (o.arguments.empty()) throw UsageError("remove: give the ids of the policies to remove");
  std::vector<std::uint32_t> ids;
  for (const auto& a : o.arguments) {
    if (a.empty() || a.find_first_not_of("0123456789") != std::string::npos || a.size() > 10)
      throw UsageError("remove: \"" + a + "\" is not a policy id");
    ids.push_back(static_cast<std::uint32_t>(std::stoul(a)));
  }
  return ids;
}

void print_stats(const json& stats) {
  std::cout << std::left << std::setw(8) << "policy" << std::right << std::setw(12) << "packets" << std::setw(14)
            << "bytes" << std::setw(12) << "copies" << std::setw(14) << "copy_bytes" << "\n";
  for (const auto& s : stats)
    std::cout << std::left << std::setw(8) << s.at("id").get<std::uint32_t>() << std::right << std::setw(12)
              << s.at("packets").get<std::uint64_t>() << std::setw(14) << s.at("bytes").get<std::uint64_t>()
              << std::setw(12) << s.at("copies").get<std::uint64_t>() << std::setw(14)
              << s.at("copy_bytes").get<std::uint64_t>() << "\n";
}

}  // namespace

int control(const Options& o) {
  const bool with_file = o.command == "add" || o.command == "modify";
  if (with_file && !o.policies) throw UsageError(o.command + ": --policies is required");
  const auto policies = with_file ? vtap::load_policies(*o.policies) : std::vector<vtap::TapPolicy>{};
  const auto ids = o.command == "remove" ? ids_of(o) : std::vector<std::uint32_t>{};
  Client client(o);
  const std::string wait = o.wait ? "?wait=applied" : "";
  try {
    if (o.command == "list") {
      const Reply r = client.call(http::verb::get, "/v1/policies");
      if (r.status != 200) fail(r);
      std::cout << r.body.dump(2) << "\n";
    } else if (o.command == "stats") {
      const Reply r = client.call(http::verb::get, "/v1/stats");
      if (r.status != 200) fail(r);
      print_stats(r.body.at("stats"));
    } else if (o.command == "add") {
      const Reply r = client.call(http::verb::post, "/v1/policies" + wait, vtap::policies_to_json(policies));
      if (r.status != 201) fail(r);
      for (const auto& p : r.body.at("policies")) std::cout << "added policy " << p.at("id").get<std::uint32_t>() << "\n";
    } else if (o.command == "modify") {
      for (const auto& p : policies) {
        if (p.id == 0) throw UsageError("modify: every policy in " + o.policies->string() + " needs its \"id\"");
        const Reply r = client.call(http::verb::put, "/v1/policies/" + std::to_string(p.id) + wait, json(p));
        if (r.status != 200) fail(r);
        std::cout << "modified policy " << p.id << "\n";
      }
    } else {
      for (auto id : ids)  // all exist, or nothing is removed
        if (const Reply r = client.call(http::verb::get, "/v1/policies/" + std::to_string(id)); r.status != 200) fail(r);
      for (auto id : ids) {
        const Reply r = client.call(http::verb::delete_, "/v1/policies/" + std::to_string(id) + wait);
        if (r.status != 204) fail(r);
        std::cout << "removed policy " << id << "\n";
      }
    }
  } catch (const UsageError&) {
    throw;
  } catch (const vtap::Error& e) {
    std::cerr << "vtapctl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
