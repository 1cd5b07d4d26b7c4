// The config parser against hostile files: sizes, long lines, error floods, control bytes and
// zone ids.
#include <doctest/doctest.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config_helpers.hpp"
#include "daemon/config.hpp"

using namespace udpecho;
using namespace udpecho::testing;

namespace {
// A file with `text` in /tmp, removed when it goes.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/udpechod-limits-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
};
}  // namespace

TEST_CASE("a file over 1 MiB is refused, unread") {
  const temp_file big("port = 6000\n" + std::string(max_config_bytes, '#'));
  const auto r = load_config_file(big.path);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == big.path + ": larger than 1 MiB");
  const temp_file fits(std::string(max_config_bytes - 12, '#') + "\nport = 6000");
  CHECK(load_config_file(fits.path).config.port == 6000);
}

TEST_CASE("/dev/zero says it is empty, but its read is capped too") {
  const auto r = load_config_file("/dev/zero");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "/dev/zero: larger than 1 MiB");
}

TEST_CASE("a line over 4 KiB is an error naming its line") {
  CHECK(only_error("port = 1\n" + std::string(max_line_bytes + 1, 'x')) ==
        "udpechod.conf:2: line is longer than 4096 bytes");
  CHECK(parse("reply_prefix = \"" + std::string(1000, 'x') + "\"   " +
              std::string(max_line_bytes - 1020, ' '))
            .ok());
}

TEST_CASE("a long unknown key gets no suggestion; a short one still does") {
  CHECK(only_error(std::string(4000, 'p') + " = 1") ==
        "udpechod.conf:1: unknown key '" + std::string(80, 'p') + "...'");
  CHECK(only_error("prot = 1") == "udpechod.conf:1: unknown key 'prot' (did you mean 'port'?)");
}

TEST_CASE("at most 20 errors, then how many more") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "x\n";
  const auto r = parse(text);
  REQUIRE(r.errors.size() == max_shown_errors + 1);
  CHECK(r.errors[19] == "udpechod.conf:20: expected 'key = value', got 'x'");
  CHECK(r.errors[20] == "... and 980 more errors");
  CHECK(r.total_errors() == 1000);
  CHECK_FALSE(r.ok());
  CHECK(parse("x\nx\n").errors.size() == 2);
  CHECK(parse("x\nx\n").total_errors() == 2);
}

TEST_CASE("a file of 1 MiB of errors is parsed whole, with 20 of them shown") {
  std::string text;
  while (text.size() + 2 <= max_config_bytes) text += "x\n";
  const temp_file flood(text);
  const auto r = load_config_file(flood.path);
  CHECK(r.errors.size() == max_shown_errors + 1);
  CHECK(r.total_errors() == max_config_bytes / 2);
}

TEST_CASE("NUL and other control bytes in a value are an error") {
  using namespace std::string_literals;
  CHECK(only_error("bind = 127.0.0.1\0junk"s) ==
        "udpechod.conf:1: bind: control character in value");
  CHECK(only_error("allow = 10.0.0.0\0/8"s) ==
        "udpechod.conf:1: allow: control character in value");
  CHECK(only_error("reply_prefix = \"a\x1b[31m\"") ==
        "udpechod.conf:1: reply_prefix: control character in value");
  CHECK(only_error("port = 50\x7f") == "udpechod.conf:1: port: control character in value");
  CHECK(only_error("deny = 10.0.0.0/8\r, 10.1.0.0/16") ==
        "udpechod.conf:1: deny: control character in value");
  // A tab is white space, and a CR before the newline ends a line written on Windows.
  CHECK(parse("reply_prefix = \"a\tb\"\r\nport = 6000\r\n").ok());
}

TEST_CASE("a zone id names an interface that exists, on a link-local address") {
  auto r = parse("bind = fe80::1%lo");
  REQUIRE(r.ok());
  REQUIRE(r.config.bind.size() == 1);
  CHECK(r.config.bind[0].to_v6().scope_id() == ::if_nametoindex("lo"));
  r = parse("bind = [fe80::1%1]");
  REQUIRE(r.ok());
  CHECK(r.config.bind[0].to_v6().scope_id() == 1);
  CHECK(only_error("bind = fe80::1%nonexist") ==
        "udpechod.conf:1: bind: 'fe80::1%nonexist': no network interface 'nonexist'");
  CHECK(only_error("bind = fe80::1%999999") ==
        "udpechod.conf:1: bind: 'fe80::1%999999': no network interface '999999'");
  CHECK(only_error("bind = ::1%lo") ==
        "udpechod.conf:1: bind: '::1%lo': a zone id (%interface) only applies to a link-local "
        "IPv6 address (fe80::/10)");
  std::string reason;
  CHECK_FALSE(parse_bind_list("fe80::1%", reason));
}

TEST_CASE("a file name from the command line is escaped in its errors") {
  const auto r = load_config_file("/nonexistent/\x1b[31m.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].starts_with("/nonexistent/\\x1b[31m.conf: cannot open: "));
}
