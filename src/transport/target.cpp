#include "libvtap/transport/target.hpp"

#include <arpa/inet.h>

#include "libvtap/model/error.hpp"

namespace vtap::openflow {

Target Target::parse(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return ParseError("invalid target \"" + std::string(text) + "\": " + why +
                      " (expected tcp:IP[:PORT], ssl:IP[:PORT] or unix:PATH)");
  };
  Target t;
  if (text.starts_with("unix:")) {
    t.kind = Kind::unix_socket;
    t.path = std::string(text.substr(5));
    if (t.path.empty()) throw bad("empty path");
    return t;
  }
  if (!text.starts_with("tcp:") && !text.starts_with("ssl:")) throw bad("unknown kind");
  t.kind = text.starts_with("ssl:") ? Kind::ssl : Kind::tcp;
  std::string_view rest = text.substr(4);
  std::string_view port;
  if (rest.starts_with("[")) {  // [IPv6]:PORT
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw bad("missing ']'");
    t.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (rest.starts_with(":")) port = rest.substr(1);
    else if (!rest.empty()) throw bad("junk after ']'");
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos && rest.find(':') == colon) {
    t.host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
  } else {
    t.host = std::string(rest);
  }
  in6_addr address;
  if (::inet_pton(AF_INET, t.host.c_str(), &address) != 1 && ::inet_pton(AF_INET6, t.host.c_str(), &address) != 1)
    throw bad("\"" + t.host + "\" is not an IP address");
  if (!port.empty()) {
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) throw bad("invalid port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) throw bad("invalid port");
    t.port = static_cast<std::uint16_t>(value);
  }
  return t;
}

std::string Target::to_string() const {
  if (kind == Kind::unix_socket) return "unix:" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(kind == Kind::ssl ? "ssl:" : "tcp:") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace vtap::openflow
