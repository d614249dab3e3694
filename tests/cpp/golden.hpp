#pragma once
// Shared test helpers for golden files: hex conversion, running `ovs-ofctl` as an oracle,
// and reading `key: value` files. VTAP_REGENERATE_GOLDEN=1 asks tests to rewrite their
// golden files (which needs ovs-ofctl on PATH).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prerequisite.hpp"

namespace vtap::golden {

using Bytes = std::vector<std::uint8_t>;

inline std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::uint8_t b : bytes) out += {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
  return out;
}

/// "-" is no bytes; an odd trailing digit is ignored.
inline Bytes from_hex(std::string_view hex) {
  Bytes out;
  if (hex == "-") return out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

/// Runs a shell command and returns what it printed on stdout.
inline std::string run(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
  }
  return out;
}

inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// Whether ovs-ofctl is there to re-check against; in CI its absence is also a failure.
inline bool have_ovs_ofctl() {
  static const bool have = std::system("command -v ovs-ofctl >/dev/null 2>&1") == 0;
  return vtap::prerequisite::optional(have, "ovs-ofctl is not on PATH");
}

inline bool regenerate() { return std::getenv("VTAP_REGENERATE_GOLDEN") != nullptr; }

/// Everything `ovs-ofctl ofp-print HEX` prints on stdout (decode errors included; stderr
/// only has timestamped log lines).
inline std::string ofp_print_all(std::span<const std::uint8_t> message) {
  return run("ovs-ofctl ofp-print " + to_hex(message) + " 2>/dev/null");
}

/// The `key: value` lines of a file (lines starting with '#' are comments).
inline std::map<std::string, std::string> read_keyed(const std::string& path) {
  std::map<std::string, std::string> keyed;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(": ");
    if (!line.starts_with('#') && colon != std::string::npos) keyed[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return keyed;
}

}  // namespace vtap::golden
