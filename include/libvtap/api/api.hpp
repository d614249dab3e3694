#pragma once
/// @file
/// The management API of vtapd as a pure request → response function (docs/api.md): routing,
/// authentication, JSON in and out, and the mapping of libvtap's errors onto HTTP statuses.
/// No sockets here: http_server.hpp carries requests to it, and the fuzz target calls it
/// directly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "libvtap/api/metrics.hpp"
#include "libvtap/api/tokens.hpp"
#include "libvtap/service/service.hpp"

namespace vtap::api {

/// What the API needs of an HTTP request.
struct Request {
  std::string method;           ///< `GET`, `POST`, ...
  std::string target;           ///< Path and query, e.g. `/v1/policies?wait=applied`.
  std::string body;
  std::string authorization;    ///< The `Authorization` header, if any.
  std::string auth_token;       ///< The `X-Auth-Token` header (OpenStack's), if any.
  bool trusted = false;         ///< Came over the unix socket: an administrator, no token.
};

struct Response {
  Response() = default;
  Response(unsigned status_, std::string body_, std::string content_type_ = "application/json")
      : status(status_), body(std::move(body_)), content_type(std::move(content_type_)) {}
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string location;         ///< `Location` of a created resource.
  std::string allow;            ///< `Allow` of a 405.
};

/// `{"error": {"message": ..., "field": ...}}` with `status`; `field` left out when empty.
Response error_response(unsigned status, const std::string& message, const std::string& field = {});

class Api {
 public:
  /// `service` must outlive the Api.
  Api(Service& service, TokenTable tokens);

  /// Answers one request; never throws. Bad input is a 4xx naming what is wrong; every
  /// change is all or nothing (Service's guarantee), also for a batch.
  Response handle(const Request& request) noexcept;

  /// The caller of `request`, or the 401 to send instead.
  std::variant<Caller, Response> authenticate(const Request& request) const;

  const LatencyHistogram& apply_latency() const noexcept { return apply_latency_; }

 private:
  Response route(const Request& request, const Caller& caller, std::string_view path);
  Response policies(const Request& request, const Caller& caller);
  Response policy(const Request& request, const Caller& caller, std::uint32_t id, std::string_view rest);
  Response metrics(const Caller& caller);
  Response explain(const Request& request, const Caller& caller);
  template <class F>
  auto timed(F&& change);

  Service& service_;
  TokenTable tokens_;
  LatencyHistogram apply_latency_;
};

}  // namespace vtap::api
