#include <doctest/doctest.h>

#include "daemon/daemon_options.hpp"

using namespace udpecho;

namespace {
daemon_options_result parse(std::vector<std::string> args) {
  return parse_daemon_options(args);
}
}  // namespace

TEST_CASE("no arguments: the default config, no overrides") {
  const auto r = parse({});
  REQUIRE(r.error.empty());
  CHECK(r.options.config_path == "/etc/udpechod/udpechod.conf");
  CHECK_FALSE(r.options.config_path_given);
  CHECK_FALSE(r.options.bind);
  CHECK_FALSE(r.options.port);
  CHECK_FALSE(r.options.log_level);
}

TEST_CASE("long, long=value and short forms") {
  const auto r =
      parse({"--config", "a.conf", "--port=0", "-b", "::1,127.0.0.1", "-l", "debug", "-t"});
  REQUIRE(r.error.empty());
  CHECK(r.options.config_path == "a.conf");
  CHECK(r.options.config_path_given);
  CHECK(r.options.port == 0);
  REQUIRE(r.options.bind);
  CHECK(r.options.bind->size() == 2);
  CHECK(r.options.log_level == spdlog::level::debug);
  CHECK(r.options.check_config);
}

TEST_CASE("help and version") {
  CHECK(parse({"-h"}).options.show_help);
  CHECK(parse({"--version"}).options.show_version);
  CHECK(daemon_help_text().find("--check-config") != std::string::npos);
}

TEST_CASE("bad command lines say why") {
  CHECK(parse({"--nope"}).error == "unknown option '--nope'");
  CHECK(parse({"-x"}).error == "unknown option '-x'");
  CHECK(parse({"--port"}).error == "option '--port' needs a value");
  CHECK(parse({"--port", "70000"}).error == "--port: '70000' is not a port (0-65535)");
  CHECK(parse({"--bind", "a.b"}).error == "--bind: 'a.b' is not an IPv4 or IPv6 address");
  CHECK(parse({"--log-level=x"}).error.starts_with("--log-level: 'x' is not a log level"));
  CHECK(parse({"--version=1"}).error == "option '--version' takes no value");
  CHECK(parse({"file"}).error == "unexpected argument 'file'");
}

TEST_CASE("arguments in an error are escaped once, where the message quotes them") {
  CHECK(parse({"--bind", "1.2.3.4\x1b[31m"}).error ==
        "--bind: '1.2.3.4\\x1b[31m' is not an IPv4 or IPv6 address");
  CHECK(parse({"--b\x1bnd"}).error == "unknown option '--b\\x1bnd'");
  CHECK(parse({"x\ny"}).error == "unexpected argument 'x\\ny'");
}
