// Fuzzes Match::parse with arbitrary text. Whatever parses must print canonical text that
// parses back to the same match, and the set algebra must be consistent. The input may
// hold two matches separated by a NUL byte; then their intersection is checked as well.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "libvtap/model/error.hpp"
#include "libvtap/model/match.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "match_parse_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::optional<vtap::Match> try_parse(std::string_view text) {
  try {
    return vtap::Match::parse(text);
  } catch (const vtap::ParseError&) {
    return std::nullopt;  // Rejecting bad text is the expected outcome for most inputs.
  }
}

void check_round_trip(const vtap::Match& m) {
  const std::string printed = m.to_string();
  vtap::Match back;
  try {
    back = vtap::Match::parse(printed);
  } catch (const vtap::ParseError& e) {
    fail("printed text does not parse", printed + " -> " + e.what());
  }
  if (back != m) fail("round trip changed the match", printed + " -> " + back.to_string());
  if (back.to_string() != printed) fail("printing is not canonical", printed + " -> " + back.to_string());
  if (std::hash<vtap::Match>{}(back) != std::hash<vtap::Match>{}(m)) fail("equal matches hash differently", printed);
}

void check_self_algebra(const vtap::Match& m) {
  const std::string printed = m.to_string();
  if (!m.is_subset_of(m)) fail("not a subset of itself", printed);
  if (!m.overlaps(m)) fail("does not overlap itself", printed);
  if (m.intersect(m) != m) fail("self-intersection differs", printed);
  if (!m.is_subset_of(vtap::Match())) fail("not a subset of the empty match", printed);
  if (vtap::reversed(vtap::reversed(m)) != m) fail("reversed twice differs", printed);
}

void check_pair(const vtap::Match& a, const vtap::Match& b) {
  const std::string text = a.to_string() + " & " + b.to_string();
  const auto both = a.intersect(b);
  if (both.has_value() != a.overlaps(b)) fail("intersect and overlaps disagree", text);
  if (both != b.intersect(a)) fail("intersection is not symmetric", text);
  if (a.is_subset_of(b) != (both.has_value() && *both == a)) fail("subset disagrees with intersection", text);
  if (!both) return;
  if (!both->is_subset_of(a) || !both->is_subset_of(b)) fail("intersection is not a subset of both", text);
  // The intersection of two valid matches keeps every prerequisite, so it round-trips too.
  check_round_trip(*both);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const auto a = try_parse(input.substr(0, split));
  if (a) {
    check_round_trip(*a);
    check_self_algebra(*a);
  }
  if (split == std::string_view::npos) return 0;
  const auto b = try_parse(input.substr(split + 1));
  if (b) check_round_trip(*b);
  if (a && b) check_pair(*a, *b);
  return 0;
}
