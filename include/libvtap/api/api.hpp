#pragma once
/// @file
/// The management API of vtapd as a pure request → response function (docs/api.md): routing,
/// authentication, JSON in and out, and the mapping of libvtap's errors onto HTTP statuses.
/// No sockets here: http_server.hpp carries requests to it, and the fuzz target calls it
/// directly.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "libvtap/api/api_types.hpp"
#include "libvtap/api/metrics.hpp"
#include "libvtap/api/taas.hpp"
#include "libvtap/api/tokens.hpp"
#include "libvtap/service/controller.hpp"

namespace vtap::api {

class Api {
 public:
  /// `service` must outlive the Api. `taas_store`: where the TaaS resources are kept (a JSON
  /// file, e.g. beside the policy store); nullopt keeps them in memory.
  Api(Controller& service, TokenTable tokens, std::optional<std::filesystem::path> taas_store = std::nullopt);

  /// Answers one request; never throws. Bad input is a 4xx naming what is wrong; every
  /// change is all or nothing (Service's guarantee), also for a batch.
  Response handle(const Request& request) noexcept;

  /// The caller of `request`, or the 401 to send instead.
  std::variant<Caller, Response> authenticate(const Request& request) const;

  const LatencyHistogram& apply_latency() const noexcept { return apply_latency_; }

 private:
  Response route(const Request& request, const Caller& caller, std::string_view path);
  Response policies(const Request& request, const Caller& caller);
  /// Adds every policy of `batch`, all or none: 201 with them as a policy file. With
  /// `request`, honours its `?wait=applied`.
  Response add_all(std::vector<TapPolicy> batch, const Caller& caller, const Request* request = nullptr);
  Response policy(const Request& request, const Caller& caller, std::uint32_t id, std::string_view rest);
  void await(const Request& request, std::uint32_t id);
  Response metrics(const Caller& caller);
  Response explain(const Request& request, const Caller& caller);
  template <class F>
  auto timed(F&& change);

  /// How long `?wait=applied` waits before answering 503.
  static constexpr std::chrono::milliseconds wait_timeout{30000};

  Controller& service_;
  TokenTable tokens_;
  Taas taas_;
  LatencyHistogram apply_latency_;
};

}  // namespace vtap::api
