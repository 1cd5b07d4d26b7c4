// What the unit tests share about configuration: parsing a text as the file udpechod.conf, its
// one error, and the abuse settings a text gives.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "daemon/abuse/abuse_guard.hpp"
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

/// The abuse settings of a valid config `text`, for `workers` workers.
inline abuse_settings abuse_settings_of(std::string_view text, unsigned workers = 1) {
  const auto r = parse(text);
  REQUIRE(r.ok());
  return abuse_settings_from(r.config, workers);
}

}  // namespace udpecho::testing
