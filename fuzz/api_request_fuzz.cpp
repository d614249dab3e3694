// Fuzzes vtapd's request path as the server runs it: bytes → Beast's HTTP request parser →
// Api::handle, on a Service whose switches have no targets (plans are computed, nothing is
// sent). The first byte picks the caller: the unix socket, an administrator's token or a
// tenant's. Whatever arrives, the answer is a 2xx/4xx whose JSON body parses; a 5xx, an
// exception or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "libvtap/api/api.hpp"
#include "libvtap/service/service.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/native/native_transport.hpp"

namespace {

namespace http = boost::beast::http;

vtap::Topology fuzz_topology() {
  return nlohmann::json::parse(R"({"switches":[{"name":"s1","dpid":"0000000000000001"},{"name":"s2","dpid":"0000000000000002"}],
    "hosts":[{"name":"a","mac":"fa:00:00:00:00:01","ip":"10.0.0.1","switch":"s1","port":1,"tenant":"t1"},
             {"name":"b","mac":"fa:00:00:00:00:02","ip":"10.0.0.2","switch":"s2","port":2,"tenant":"t1"},
             {"name":"c","mac":"fa:00:00:00:00:03","ip":"10.0.0.3","switch":"s2","port":3,"tenant":"t2"}],
    "links":[{"a":{"switch":"s1","port":10},"b":{"switch":"s2","port":10}}]})")
      .get<vtap::Topology>();
}

struct World {
  vtap::Service service{fuzz_topology(), {}, vtap::make_native_transport()};
  vtap::api::Api api{service, vtap::api::TokenTable::from_json({{"fuzz-admin-token", "*"}, {"fuzz-tenant-token", "t1"}})};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  if (size == 0) return 0;
  const std::uint8_t caller = data[0] % 4;
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data + 1, size - 1), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;  // the server answers 400 and closes
  const auto& message = parser.get();
  vtap::api::Request request{std::string(message.method_string()), std::string(message.target()), message.body(),
                             std::string(message[http::field::authorization]), std::string(message["X-Auth-Token"]),
                             caller == 0};
  if (caller == 1) request.authorization = "Bearer fuzz-admin-token";
  if (caller == 2) request.auth_token = "fuzz-tenant-token";
  const vtap::api::Response response = world.api.handle(request);
  if (response.status < 200 || response.status >= 500) std::abort();
  if (response.content_type == "application/json" && response.status != 204 &&
      nlohmann::json::parse(response.body, nullptr, false).is_discarded())
    std::abort();
  if (world.service.list().size() > 32)
    for (const auto& p : world.service.list()) world.service.remove(p.id);
  return 0;
}
