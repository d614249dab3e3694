#pragma once
/// @file
/// The request and response of vtapd's API, as its handlers see them (no sockets).

#include <string>
#include <utility>
#include <vector>

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
  /// More headers: `Location` of a created resource, `Allow` of a 405, ...
  std::vector<std::pair<std::string, std::string>> headers;
};

/// `{"error": {"message": ..., "field": ...}}` with `status`; `field` left out when empty.
Response error_response(unsigned status, const std::string& message, const std::string& field = {});

}  // namespace vtap::api
