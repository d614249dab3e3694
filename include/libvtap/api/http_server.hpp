#pragma once
/// @file
/// vtapd's HTTP/1.1 server (Boost.Beast on Asio): carries requests to an Api over TCP (TLS
/// optional) and over a unix socket, and streams events to `GET /v1/events` clients.
///
/// One I/O thread serves every connection asynchronously; Api calls, which may wait on
/// switches, run on a small worker pool, so a slow switch or a slow client never stalls
/// the others. Each request must arrive whole within `request_timeout` and its body stay
/// under the limit (413); a malformed request gets 400 and the connection is closed.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "libvtap/api/api.hpp"
#include "libvtap/api/events.hpp"

namespace vtap::api {

struct ServerOptions {
  /// `ADDR:PORT` (`127.0.0.1:8181`, `[::1]:8181`; port 0 picks one, see tcp_address());
  /// `:PORT` or `PORT` alone listen on 127.0.0.1. Nullopt: no TCP listener.
  std::optional<std::string> listen;
  /// PEM certificate chain and private key: TCP connections are TLS (https).
  std::optional<std::filesystem::path> tls_cert, tls_key;
  /// A unix socket (mode 0600) whose clients are administrators without a token.
  std::optional<std::filesystem::path> unix_socket;
  std::size_t max_body = 1u << 20;           ///< Bytes of a request body over TCP.
  std::size_t max_trusted_body = 64u << 20;  ///< Over the unix socket (vtapctl add of big files).
  std::chrono::milliseconds request_timeout{15000};
  std::size_t max_connections = 512;
  unsigned workers = 4;
  /// One line per request: `METHOD PATH STATUS MS caller`. Never headers or bodies.
  std::function<void(const std::string&)> access_log;
};

class HttpServer {
 public:
  /// Binds every listener; throws Error naming the address that cannot be used.
  HttpServer(Api& api, EventHub& events, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Serves on a thread of its own until stop() or destruction.
  void start();
  /// Closes the listeners and every connection; waits for running requests. Idempotent.
  void stop();
  /// The bound TCP address (`127.0.0.1:43121`), or empty without a TCP listener.
  std::string tcp_address() const;

  struct Impl;  ///< Defined (and only usable) in http_server.cpp.

 private:
  std::unique_ptr<Impl> impl_;
};

/// `ADDR:PORT` → host and port; throws Error naming what is wrong.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text);

}  // namespace vtap::api
