// Fuzzes the address parsers with arbitrary text. Whatever parses must print text that
// parses back to the same value; IPv4 and IPv6 are also checked against glibc's
// inet_pton/inet_ntop, which nobody here wrote.

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "libvtap/model/address.hpp"
#include "libvtap/model/error.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view input, const std::string& detail) {
  std::fprintf(stderr, "address_parse_fuzz: %s: input \"%.*s\": %s\n", what, static_cast<int>(input.size()),
               input.data(), detail.c_str());
  std::abort();
}

template <typename T>
void check_round_trip(std::string_view input, const T& value) {
  const std::string printed = value.to_string();
  T back;
  try {
    back = T::parse(printed);
  } catch (const vtap::ParseError& e) {
    fail("printed text does not parse", input, printed + " -> " + e.what());
  }
  if (back != value) fail("round trip changed the value", input, printed + " -> " + back.to_string());
  if (back.to_string() != printed) fail("printing is not canonical", input, printed);
}

// Parses with `parse` and `try_parse`; they must agree, and ParseError is the only error.
template <typename T>
std::optional<T> parse_both_ways(std::string_view input) {
  const std::optional<T> quiet = T::try_parse(input);
  std::optional<T> loud;
  try {
    loud = T::parse(input);
  } catch (const vtap::ParseError&) {
  }
  if (quiet != loud) fail("parse and try_parse disagree", input, "");
  return quiet;
}

template <typename Prefix>
void check_prefix(std::string_view input) {
  try {
    const Prefix p = Prefix::parse(input);
    check_round_trip(input, p);
    if (!p.contains(p.address())) fail("prefix does not contain its own address", input, p.to_string());
  } catch (const vtap::ParseError&) {
  }
}

void check_against_libc(std::string_view input) {
  if (input.find('\0') != std::string_view::npos) return;  // C strings cannot hold it
  const std::string c_string(input);

  unsigned char v4[4];
  const bool libc_v4 = inet_pton(AF_INET, c_string.c_str(), v4) == 1;
  const auto ours_v4 = vtap::Ipv4Address::try_parse(input);
  if (libc_v4 != ours_v4.has_value()) {
    fail("IPv4 acceptance differs from inet_pton", input, libc_v4 ? "libc accepts" : "libc rejects");
  }
  if (ours_v4 && std::memcmp(v4, ours_v4->bytes().data(), 4) != 0) fail("IPv4 value differs from inet_pton", input, "");

  unsigned char v6[16];
  const bool libc_v6 = inet_pton(AF_INET6, c_string.c_str(), v6) == 1;
  const auto ours_v6 = vtap::Ipv6Address::try_parse(input);
  if (libc_v6 != ours_v6.has_value()) {
    fail("IPv6 acceptance differs from inet_pton", input, libc_v6 ? "libc accepts" : "libc rejects");
  }
  if (!ours_v6) return;
  if (std::memcmp(v6, ours_v6->bytes().data(), 16) != 0) fail("IPv6 value differs from inet_pton", input, "");
  // glibc prints ::/96 addresses with a dotted tail (deprecated IPv4-compatible form);
  // RFC 5952 does not, so only compare outside that range.
  static constexpr unsigned char zeros[12] = {};
  if (std::memcmp(v6, zeros, 12) == 0) return;
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, v6, text, sizeof text) == nullptr) fail("inet_ntop failed", input, "");
  if (ours_v6->to_string() != text) {
    fail("IPv6 text differs from inet_ntop", input, ours_v6->to_string() + " vs " + text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto mac = parse_both_ways<vtap::MacAddress>(input)) check_round_trip(input, *mac);
  if (const auto v4 = parse_both_ways<vtap::Ipv4Address>(input)) check_round_trip(input, *v4);
  if (const auto v6 = parse_both_ways<vtap::Ipv6Address>(input)) check_round_trip(input, *v6);
  try {
    const vtap::IpAddress ip = vtap::IpAddress::parse(input);
    check_round_trip(input, ip);
  } catch (const vtap::ParseError&) {
  }
  check_prefix<vtap::Ipv4Prefix>(input);
  check_prefix<vtap::Ipv6Prefix>(input);
  check_against_libc(input);
  return 0;
}
