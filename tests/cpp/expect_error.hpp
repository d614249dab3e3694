#pragma once
// Shared test helper: asserts that a call throws ParseError whose message has a substring.

#include <gtest/gtest.h>

#include <string>

#include "libvtap/model/error.hpp"

namespace vtap {

template <typename Fn>
void expect_parse_error(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected ParseError containing: " << needle;
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
  }
}

}  // namespace vtap
