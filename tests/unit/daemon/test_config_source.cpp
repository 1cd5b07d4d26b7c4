#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "daemon/config_source.hpp"

using namespace udpecho;

namespace {
std::string temporary_path() {
  char name[] = "/tmp/udpechod-config-source-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  return name;
}
}  // namespace

TEST_CASE("without --config, a missing default file means the built-in defaults at start") {
  daemon_options options;
  options.config_path = temporary_path();
  std::remove(options.config_path.c_str());
  const auto loaded = load_config(options, false);
  CHECK(loaded.result.ok());
  CHECK_FALSE(loaded.from_file);
  CHECK(loaded.source.starts_with("built-in defaults"));
}

TEST_CASE("a default file that disappears before a reload is an error, not the defaults") {
  daemon_options options;
  options.config_path = temporary_path();
  std::ofstream(options.config_path) << "deny = 192.0.2.0/24\n";
  const auto started = load_config(options, false);
  REQUIRE(started.result.ok());
  CHECK(started.from_file);
  CHECK(started.result.config.deny.size() == 1);

  std::remove(options.config_path.c_str());
  const auto reloaded = load_config(options, started.from_file);
  REQUIRE(reloaded.result.errors.size() == 1);
  CHECK(reloaded.result.errors[0].find("No such file or directory") != std::string::npos);
}

TEST_CASE("command-line overrides win over the file") {
  daemon_options options;
  options.config_path = temporary_path();
  options.config_path_given = true;
  std::ofstream(options.config_path) << "port = 7\n";
  options.port = 9;
  CHECK(load_config(options, false).result.config.port == 9);
  std::remove(options.config_path.c_str());
}
