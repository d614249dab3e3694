// Fuzzes IdRange::parse (vtapctl --groups/--meters) with arbitrary text: ParseError is the
// only error, whatever parses lies within the bounds it promises, and its printed form
// parses back to the same range.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "libvtap/model/error.hpp"
#include "libvtap/model/ownership.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vtap::IdRange range;
  try {
    range = vtap::IdRange::parse(text, "--groups", vtap::max_group_id);
  } catch (const vtap::ParseError&) {
    return 0;
  }
  if (range.first == 0 || range.first > range.last || range.last > vtap::max_group_id) {
    std::fprintf(stderr, "id_range_parse_fuzz: %s broke its bounds\n", range.to_string().c_str());
    std::abort();
  }
  if (vtap::IdRange::parse(range.to_string(), "--groups", vtap::max_group_id) != range) {
    std::fprintf(stderr, "id_range_parse_fuzz: %s does not parse back\n", range.to_string().c_str());
    std::abort();
  }
  return 0;
}
