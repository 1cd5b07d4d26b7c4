#include <doctest/doctest.h>

#include "client/client_options.hpp"

using namespace udpecho;
using namespace std::chrono_literals;

namespace {
client_options_result parse(std::vector<std::string> args) {
  return parse_client_options(args);
}
}  // namespace

TEST_CASE("defaults: localhost:5002, 1 s timeout, 2 retries, no probe mode") {
  const auto r = parse({});
  REQUIRE(r.error.empty());
  CHECK(r.options.host == "localhost");
  CHECK(r.options.port == 5002);
  CHECK(r.options.family == address_family::any);
  CHECK(r.options.timeout == 1s);
  CHECK(r.options.retries == 2);
  CHECK(r.options.tries() == 3);
  CHECK_FALSE(r.options.count);
  CHECK(r.options.interval == 1s);
}

TEST_CASE("host, port and every option in long, long=value and short forms") {
  const auto r = parse(
      {"-6", "--timeout", "0.25", "--retries=0", "-c", "12", "-i0.05", "--size=100", "::1", "7"});
  REQUIRE(r.error.empty());
  CHECK(r.options.host == "::1");
  CHECK(r.options.port == 7);
  CHECK(r.options.family == address_family::v6);
  CHECK(r.options.timeout == 250ms);
  CHECK(r.options.retries == 0);
  CHECK(r.options.tries() == 1);
  CHECK(r.options.count == 12u);
  CHECK(r.options.interval == 50ms);
  CHECK(r.options.size == 100);
  CHECK(parse({"-4", "example.org"}).options.family == address_family::v4);
  CHECK(parse({"--count", "3"}).options.count == 3u);
  CHECK(parse({"--interval", "2", "-c", "1"}).options.interval == 2s);
  CHECK(parse({"-s", "32", "-c", "1"}).options.size == 32);
  CHECK(parse({"--", "-host-"}).options.host == "-host-");
}

TEST_CASE("help and version") {
  CHECK(parse({"-h"}).options.show_help);
  CHECK(parse({"--help"}).options.show_help);
  CHECK(parse({"-V"}).options.show_version);
  CHECK(parse({"--version"}).options.show_version);
  const std::string help = client_help_text();
  for (const char* option :
       {"-4", "-6", "--timeout", "--retries", "-c, --count", "-i, --interval", "-s, --size",
        "-V, --version", "-h, --help", "HOST", "PORT", "64", "68"}) {
    CAPTURE(option);
    CHECK(help.find(option) != std::string::npos);
  }
}

TEST_CASE("bad command lines say why") {
  CHECK(parse({"--nope"}).error == "unknown option '--nope'");
  CHECK(parse({"-x"}).error == "unknown option '-x'");
  CHECK(parse({"-4x"}).error == "unknown option '-4x'");
  CHECK(parse({"--timeout"}).error == "option '--timeout' needs a value");
  CHECK(parse({"--help=1"}).error == "option '--help' takes no value");
  CHECK(parse({"--timeout", "0"}).error == "--timeout: '0' is not a time in seconds (0.001-86400)");
  CHECK(parse({"--timeout", "1s"}).error ==
        "--timeout: '1s' is not a time in seconds (0.001-86400)");
  CHECK(parse({"--timeout", "-1"}).error ==
        "--timeout: '-1' is not a time in seconds (0.001-86400)");
  CHECK(parse({"--retries", "101"}).error == "--retries: '101' is not a number of retries (0-100)");
  CHECK(parse({"-c", "0"}).error == "--count: '0' is not a probe count (1-1000000)");
  CHECK(parse({"-c", "5", "-i", "0.001"}).error ==
        "--interval: '0.001' is not an interval in seconds (0.01-86400)");
  CHECK(parse({"-c", "5", "-s", "31"}).error ==
        "--size: '31' is not a probe size (32-65507 bytes)");
  CHECK(parse({"-c", "5", "-s", "65508"}).error ==
        "--size: '65508' is not a probe size (32-65507 bytes)");
  CHECK(parse({"-i", "1"}).error == "option '--interval' needs -c/--count (probe mode)");
  CHECK(parse({"-s", "64"}).error == "option '--size' needs -c/--count (probe mode)");
  CHECK(parse({"host", "70000"}).error == "'70000' is not a port to send to (1-65535)");
  CHECK(parse({"host", "0"}).error == "'0' is not a port to send to (1-65535)");
  CHECK(parse({"host", "1", "extra"}).error == "unexpected argument 'extra'");
  CHECK(parse({""}).error == "HOST is empty");
}

TEST_CASE("seconds are parsed and printed the way messages show them") {
  CHECK(parse_seconds("1") == 1s);
  CHECK(parse_seconds("0.5") == 500ms);
  CHECK(parse_seconds("2.25") == 2250ms);
  CHECK_FALSE(parse_seconds(""));
  CHECK_FALSE(parse_seconds("1e3"));
  CHECK_FALSE(parse_seconds("nan"));
  CHECK(format_seconds(1s) == "1.0");
  CHECK(format_seconds(500ms) == "0.5");
  CHECK(format_seconds(250ms) == "0.25");
  CHECK(format_seconds(10s) == "10.0");
}
