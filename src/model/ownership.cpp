#include "libvtap/model/ownership.hpp"

#include <charconv>
#include <cstdio>
#include <optional>

#include "libvtap/model/error.hpp"

namespace vtap {
namespace {

std::optional<std::uint32_t> parse_id(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

}  // namespace

std::string IdRange::to_string() const { return hex(first) + "-" + hex(last); }

IdRange IdRange::parse(std::string_view text, std::string_view what, std::uint32_t max) {
  const std::string name(what);
  const auto dash = text.find('-');
  const auto first = dash == std::string_view::npos ? std::nullopt : parse_id(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? std::nullopt : parse_id(text.substr(dash + 1));
  if (!first || !last)
    throw ParseError(name + ": \"" + std::string(text) + "\" is not a range FIRST-LAST (decimal or 0x hex)");
  if (*first == 0 || *first > *last || *last > max)
    throw ParseError(name + ": " + std::string(text) + " must satisfy 1 <= FIRST <= LAST <= " + hex(max));
  return IdRange{*first, *last};
}

}  // namespace vtap
