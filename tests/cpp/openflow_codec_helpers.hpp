#pragma once
// Shared helpers of the OpenFlow codec tests (openflow_codec_test.cpp and
// openflow_codec_oracle_test.cpp): the tables under tests/data/openflow/, encoding into bytes,
// expecting a DecodeError, and set_field actions written as text.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "golden.hpp"
#include "libvtap/openflow/actions.hpp"
#include "libvtap/openflow/buffer.hpp"
#include "libvtap/openflow/error.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "libvtap/openflow/version.hpp"

namespace vtap::openflow::codec_test {

using golden::Bytes;

inline const std::string kDataDir = std::string(VTAP_TEST_DATA) + "/openflow/";

inline FieldBytes uint_bytes(Field f, std::uint64_t v) {
  FieldBytes b{};
  for (std::size_t i = 0; i < field_bytes(f); ++i) b[field_bytes(f) - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return b;
}

// The rows of a whitespace-separated table in kDataDir; the last of `min_columns` columns
// takes the rest of the line.
inline std::vector<std::vector<std::string>> read_table(const std::string& file, std::size_t min_columns) {
  std::ifstream in(kDataDir + file);
  EXPECT_TRUE(in) << "cannot read " << kDataDir + file;
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string w; row.size() + 1 < min_columns && words >> w;) row.push_back(w);
    std::string rest;
    std::getline(words >> std::ws, rest);
    row.push_back(rest);
    rows.push_back(row);
  }
  return rows;
}

inline Version version_named(const std::string& name) {
  const auto v = version_from_string(name);
  EXPECT_TRUE(v) << name;
  return v.value_or(Version::of15);
}

template <typename Fn>
Bytes encoded(Fn&& fn) {
  Bytes out;
  Writer w(out);
  fn(w);
  return out;
}

template <typename Fn>
void expect_decode_error(Fn&& fn, std::string_view name) {
  try {
    fn();
    ADD_FAILURE() << "expected DecodeError " << name;
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.name(), name) << e.what();
  }
}

inline FieldBytes value_of(Field f, const std::string& text) {
  FieldBytes b{};
  const auto put = [&b](const auto& bytes) { std::copy(bytes.begin(), bytes.end(), b.begin()); };
  switch (field_info(f).format) {
    case FieldFormat::ethernet: put(MacAddress::parse(text).bytes()); break;
    case FieldFormat::ipv4: put(Ipv4Address::parse(text).bytes()); break;
    case FieldFormat::ipv6: put(Ipv6Address::parse(text).bytes()); break;
    default: return uint_bytes(f, std::stoull(text, nullptr, 0));
  }
  return b;
}
inline Action sf(Field f, const std::string& text) { return SetFieldAction{f, value_of(f, text)}; }

}  // namespace vtap::openflow::codec_test
