#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

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
  struct stat st {};
  REQUIRE(fstat(STDERR_FILENO, &st) == 0);
  const auto own = fmt::format("{}:{}", st.st_dev, st.st_ino);
  CHECK(stderr_is_journal(own));
  CHECK_FALSE(stderr_is_journal(fmt::format("{}:{}", st.st_dev, st.st_ino + 1)));
  CHECK_FALSE(stderr_is_journal(""));
  CHECK_FALSE(stderr_is_journal("0:0"));
  CHECK_FALSE(stderr_is_journal("garbage"));
}
