#pragma once
// Prerequisites of the C++ tests (Open vSwitch, ovs-ofctl, ...): what scripts/test.sh installs.
// A missing one skips the test on a developer's machine but fails it when env CI is set to a
// true value (.ci/run sets it), so a CI run never passes by skipping.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

namespace vtap::prerequisite {

/// Whether env CI is set to a true value (not empty, 0, false, no or off).
inline bool in_ci() {
  const char* value = std::getenv("CI");
  std::string v = value ? value : "";
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !(v.empty() || v == "0" || v == "false" || v == "no" || v == "off");
}

/// For a check that runs only when a prerequisite is there (`if (optional(have, ...))`):
/// returns `have`; in CI a missing prerequisite is also a (non-fatal) failure, once per test.
inline bool optional(bool have, const char* what) {
  if (!have && in_ci()) {
    static const ::testing::TestInfo* reported = nullptr;
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    if (test != reported) {
      reported = test;
      ADD_FAILURE() << what << " (CI is set, so this is an error, not a skipped check)";
    }
  }
  return have;
}

}  // namespace vtap::prerequisite

/// In a test body or SetUp(): unless `cond` holds, skip the test (GTEST_SKIP), or fail it
/// (FAIL) when env CI is set. Returns from the current function either way.
#define VTAP_REQUIRE(cond, what)                                             \
  do {                                                                       \
    if (!(cond)) {                                                           \
      if (::vtap::prerequisite::in_ci()) {                                   \
        FAIL() << (what) << " (CI is set, so this is an error, not a skip)"; \
      } else {                                                               \
        GTEST_SKIP() << (what);                                              \
      }                                                                      \
    }                                                                        \
  } while (false)
