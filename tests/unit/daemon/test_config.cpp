#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "config_helpers.hpp"
#include "daemon/config.hpp"

using namespace udpecho;
using namespace udpecho::testing;

TEST_CASE("an empty file gives the defaults of the example") {
  const auto r = parse("");
  REQUIRE(r.ok());
  REQUIRE(r.config.bind.size() == 1);
  CHECK(r.config.bind[0] == asio::ip::make_address("127.0.0.1"));
  CHECK(r.config.port == 5002);
  CHECK(r.config.reply_prefix == "server send data:");
  CHECK(r.config.log_level == spdlog::level::info);
  CHECK(r.config.log_payload_bytes == 64);
}

TEST_CASE("comments, blank lines and white space are ignored") {
  const auto r = parse("# a comment\n\n   \t\n  port   =   6000   # trailing comment\r\n");
  REQUIRE(r.ok());
  CHECK(r.config.port == 6000);
}

TEST_CASE("bind: one or more IPv4/IPv6 literals") {
  auto r = parse("bind = 0.0.0.0, ::1 ,[::]\n");
  REQUIRE(r.ok());
  REQUIRE(r.config.bind.size() == 3);
  CHECK(r.config.bind[1] == asio::ip::make_address("::1"));
  CHECK(r.config.bind[2] == asio::ip::make_address("::"));
  CHECK(only_error("bind = localhost") ==
        "udpechod.conf:1: bind: 'localhost' is not an IPv4 or IPv6 address");
  CHECK(only_error("bind = 127.0.0.1,,::1") ==
        "udpechod.conf:1: bind: '127.0.0.1,,::1' has an empty address");
  CHECK(only_error("bind =") == "udpechod.conf:1: bind: '' has an empty address");
  CHECK(only_error("bind = ::1, ::1") == "udpechod.conf:1: bind: '::1' is listed twice");
}

TEST_CASE("port: 0-65535") {
  CHECK(parse("port = 0").config.port == 0);
  CHECK(parse("port = 65535").config.port == 65535);
  CHECK(only_error("\n\nport = 70000") == "udpechod.conf:3: port: '70000' is not a port (0-65535)");
  CHECK(only_error("port = -1") == "udpechod.conf:1: port: '-1' is not a port (0-65535)");
  CHECK(only_error("port = 50 02") == "udpechod.conf:1: port: '50 02' is not a port (0-65535)");
}

TEST_CASE("reply_prefix: any bytes; quotes keep surrounding spaces") {
  CHECK(parse("reply_prefix = echo:").config.reply_prefix == "echo:");
  CHECK(parse("reply_prefix = \"  echo: \"").config.reply_prefix == "  echo: ");
  CHECK(parse("reply_prefix = \"a \\\"b\\\" \\\\\"").config.reply_prefix == "a \"b\" \\");
  CHECK(parse("reply_prefix = \"#1 \" # comment").config.reply_prefix == "#1 ");
  CHECK(parse("reply_prefix = a#b").config.reply_prefix == "a#b");
  CHECK(parse("reply_prefix =").config.reply_prefix.empty());
  CHECK(only_error("reply_prefix = \"open") ==
        "udpechod.conf:1: reply_prefix: has an opening '\"' but no closing one");
  CHECK(only_error("reply_prefix = \"a\" b") ==
        "udpechod.conf:1: reply_prefix: unexpected 'b' after the closing '\"'");
  CHECK(only_error("reply_prefix = a\"b") ==
        "udpechod.conf:1: reply_prefix: 'a\\\"b' has a stray '\"'; quote the whole value");
  CHECK(only_error("reply_prefix = " + std::string(1025, 'x')) ==
        "udpechod.conf:1: reply_prefix: is 1025 bytes long; at most 1024 are allowed");
}

TEST_CASE("log_level: the seven names") {
  CHECK(parse("log_level = trace").config.log_level == spdlog::level::trace);
  CHECK(parse("log_level = debug").config.log_level == spdlog::level::debug);
  CHECK(parse("log_level = warning").config.log_level == spdlog::level::warn);
  CHECK(parse("log_level = error").config.log_level == spdlog::level::err);
  CHECK(parse("log_level = critical").config.log_level == spdlog::level::critical);
  CHECK(parse("log_level = off").config.log_level == spdlog::level::off);
  CHECK(only_error("log_level = INFO") ==
        "udpechod.conf:1: log_level: 'INFO' is not a log level (trace, debug, info, warning, "
        "error, critical or off)");
}

TEST_CASE("log_escape: utf8 (the default) or ascii") {
  CHECK(parse("").config.log_escape == udpecho::escape_mode::utf8);
  CHECK(parse("log_escape = ascii").config.log_escape == udpecho::escape_mode::ascii);
  CHECK(parse("log_escape = utf8").config.log_escape == udpecho::escape_mode::utf8);
  CHECK(only_error("log_escape = UTF-8") ==
        "udpechod.conf:1: log_escape: 'UTF-8' is not utf8 or ascii");
}

TEST_CASE("log_payload_bytes: 0-65535") {
  CHECK(parse("log_payload_bytes = 0").config.log_payload_bytes == 0);
  CHECK(parse("log_payload_bytes = 65535").config.log_payload_bytes == 65535);
  CHECK(only_error("log_payload_bytes = 65536") ==
        "udpechod.conf:1: log_payload_bytes: '65536' is not a whole number from 0 to 65535");
  CHECK(only_error("log_payload_bytes = lots") ==
        "udpechod.conf:1: log_payload_bytes: 'lots' is not a whole number from 0 to 65535");
}

TEST_CASE("unknown keys, with a suggestion for typos") {
  CHECK(only_error("prot = 1") == "udpechod.conf:1: unknown key 'prot' (did you mean 'port'?)");
  CHECK(only_error("colour = blue") == "udpechod.conf:1: unknown key 'colour'");
}

TEST_CASE("a key set twice names the first line") {
  CHECK(only_error("port = 1\n# x\nport = 2") ==
        "udpechod.conf:3: port: set twice (first on line 1)");
}

TEST_CASE("malformed lines") {
  CHECK(only_error("just words") == "udpechod.conf:1: expected 'key = value', got 'just words'");
  CHECK(only_error("= 5") == "udpechod.conf:1: '' is not a key name");
  CHECK(only_error("Port = 5") == "udpechod.conf:1: 'Port' is not a key name");
  CHECK(only_error("a\x1b[31m = 5") == "udpechod.conf:1: 'a\\x1b[31m' is not a key name");
}

TEST_CASE("every error is reported, each with its own line") {
  const auto r = parse("port = x\nbind = y\nlog_level = z\n");
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].starts_with("udpechod.conf:1: port:"));
  CHECK(r.errors[1].starts_with("udpechod.conf:2: bind:"));
  CHECK(r.errors[2].starts_with("udpechod.conf:3: log_level:"));
}

TEST_CASE("config_keys lists every key the parser accepts") {
  for (auto key : config_keys()) {
    INFO(key);
    const auto r = parse(std::string(key) + " = @@@invalid@@@");
    // Either accepted or rejected for its value, never as an unknown key.
    for (const auto& error : r.errors) CHECK(error.find("unknown key") == std::string::npos);
  }
  // Each key once; no fixed count, so that adding a key does not mean editing this test.
  auto keys = config_keys();
  std::sort(keys.begin(), keys.end());
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
}

TEST_CASE("load_config_file names a file it cannot open") {
  const auto r = load_config_file("/nonexistent/dir/udpechod.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "/nonexistent/dir/udpechod.conf: cannot open: No such file or directory");
}

TEST_CASE("load_config_file reads a real file and uses its path in errors") {
  const std::string path = "test_config_tmp.conf";
  {
    std::ofstream out(path);
    out << "port = 7\nport = 99999\n";
  }
  const auto r = load_config_file(path);
  std::remove(path.c_str());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "test_config_tmp.conf:2: port: set twice (first on line 1)");
}

TEST_CASE("abuse settings: defaults, values and errors") {
  const auto defaults = parse("").config;
  CHECK(defaults.loop_protection);
  CHECK(defaults.rate_limit == 100);
  CHECK(defaults.rate_burst == 200);
  CHECK(defaults.rate_prefix_v4 == 24);
  CHECK(defaults.rate_prefix_v6 == 56);
  CHECK(defaults.rate_table_size == 65536);
  CHECK(defaults.rate_exempt.empty());
  CHECK(defaults.allow.empty());
  CHECK(defaults.deny.empty());

  const auto r = parse(
      "loop_protection = no\nrate_limit = 0\nrate_burst = 7\nrate_prefix_v4 = 32\n"
      "rate_prefix_v6 = 128\nrate_table_size = 10\nrate_exempt = 192.0.2.0/24\n"
      "allow = 10.0.0.0/8, 2001:db8::/32\ndeny = 10.0.0.1\n");
  REQUIRE(r.ok());
  CHECK_FALSE(r.config.loop_protection);
  CHECK(r.config.rate_limit == 0);
  CHECK(r.config.rate_burst == 7);
  CHECK(r.config.rate_prefix_v4 == 32);
  CHECK(r.config.rate_prefix_v6 == 128);
  CHECK(r.config.rate_table_size == 10);
  CHECK(r.config.rate_exempt.size() == 1);
  CHECK(r.config.allow.size() == 2);
  CHECK(r.config.deny.size() == 1);

  CHECK(only_error("loop_protection = maybe") ==
        "udpechod.conf:1: loop_protection: 'maybe' is not yes or no");
  CHECK(only_error("rate_burst = 0") ==
        "udpechod.conf:1: rate_burst: '0' is not a whole number from 1 to 10000000");
  CHECK(only_error("rate_prefix_v4 = 33") ==
        "udpechod.conf:1: rate_prefix_v4: '33' is not a whole number from 0 to 32");
  CHECK(only_error("rate_table_size = 0").find("from 1 to 1048576") != std::string::npos);
  CHECK(only_error("deny = 10.0.0.0/33").starts_with("udpechod.conf:1: deny: '10.0.0.0/33'"));
  CHECK(only_error("allow = 10.1.0.0/8").find("did you mean 10.0.0.0/8?") != std::string::npos);
}

TEST_CASE("workers: 1-256 or auto; default 1") {
  CHECK(parse("").config.workers == 1);
  CHECK(parse("workers = 4").config.workers == 4);
  CHECK(parse("workers = auto").config.workers == 0);
  CHECK(only_error("workers = 0") ==
        "udpechod.conf:1: workers: '0' is not 'auto' or a number from 1 to 256");
  CHECK(only_error("workers = 257") ==
        "udpechod.conf:1: workers: '257' is not 'auto' or a number from 1 to 256");
  CHECK(only_error("workers = many") ==
        "udpechod.conf:1: workers: 'many' is not 'auto' or a number from 1 to 256");
}

TEST_CASE("metrics_listen: ADDRESS:PORT, IPv6 in brackets; empty or unset is off") {
  CHECK_FALSE(parse("").config.metrics_listen.has_value());
  CHECK_FALSE(parse("metrics_listen =").config.metrics_listen.has_value());
  const auto v4 = parse("metrics_listen = 127.0.0.1:9525").config.metrics_listen;
  REQUIRE(v4.has_value());
  CHECK(v4->address == asio::ip::make_address("127.0.0.1"));
  CHECK(v4->port == 9525);
  const auto v6 = parse("metrics_listen = [::1]:0").config.metrics_listen;
  REQUIRE(v6.has_value());
  CHECK(v6->address == asio::ip::make_address("::1"));
  CHECK(v6->port == 0);
  CHECK(only_error("metrics_listen = ::1:9525") ==
        "udpechod.conf:1: metrics_listen: '::1:9525' is not ADDRESS:PORT (an IPv6 address goes "
        "in brackets: [::1]:9525)");
  CHECK(only_error("metrics_listen = 127.0.0.1") ==
        "udpechod.conf:1: metrics_listen: '127.0.0.1' is not ADDRESS:PORT (an IPv6 address goes "
        "in brackets: [::1]:9525)");
  CHECK(only_error("metrics_listen = localhost:9525") ==
        "udpechod.conf:1: metrics_listen: 'localhost' is not an IPv4 or IPv6 address");
  CHECK(only_error("metrics_listen = 127.0.0.1:70000") ==
        "udpechod.conf:1: metrics_listen: '70000' is not a port (0-65535)");
}
