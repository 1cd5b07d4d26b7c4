// What the config unit tests share: parsing a text as the file udpechod.conf, and its one error.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "daemon/config.hpp"

namespace udpecho::testing {

inline config_result parse(std::string_view text) {
  return parse_config(text, "udpechod.conf");
}

/// The error parsing `text` gives; the test fails unless there is exactly one.
inline std::string only_error(std::string_view text) {
  const auto r = parse(text);
  REQUIRE(r.errors.size() == 1);
  return r.errors[0];
}

}  // namespace udpecho::testing
