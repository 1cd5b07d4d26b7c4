#include <doctest/doctest.h>

#include "daemon/systemd/logging.hpp"

using namespace udpecho;

TEST_CASE("spdlog levels map to syslog priorities") {
  CHECK(syslog_priority(spdlog::level::trace) == 7);
  CHECK(syslog_priority(spdlog::level::debug) == 7);
  CHECK(syslog_priority(spdlog::level::info) == 6);
  CHECK(syslog_priority(spdlog::level::warn) == 4);
  CHECK(syslog_priority(spdlog::level::err) == 3);
  CHECK(syslog_priority(spdlog::level::critical) == 2);
}

TEST_CASE("the journal is recognised only by stderr's own device:inode") {
  CHECK_FALSE(stderr_is_journal(""));
  CHECK_FALSE(stderr_is_journal("0:0"));
  CHECK_FALSE(stderr_is_journal("garbage"));
}
