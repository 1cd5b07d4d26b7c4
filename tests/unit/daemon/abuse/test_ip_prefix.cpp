#include <doctest/doctest.h>

#include "daemon/abuse/ip_prefix.hpp"

using namespace udpecho;

namespace {
address_bytes bytes(const char* text) {
  return to_address_bytes(asio::ip::make_address(text));
}

ip_prefix must_parse(std::string_view text) {
  std::string reason;
  auto prefix = parse_prefix(text, reason);
  INFO(reason);
  REQUIRE(prefix);
  return *prefix;
}

std::string parse_error(std::string_view text) {
  std::string reason;
  CHECK_FALSE(parse_prefix(text, reason));
  return reason;
}
}  // namespace

TEST_CASE("IPv4 prefixes parse, print and match") {
  const auto p = must_parse("10.0.0.0/8");
  CHECK(p.is_v4());
  CHECK(format_prefix(p) == "10.0.0.0/8");
  CHECK(p.contains(bytes("10.255.1.2")));
  CHECK(p.contains(bytes("::ffff:10.1.1.1")));  // a dual-stack socket's view of an IPv4 peer
  CHECK_FALSE(p.contains(bytes("11.0.0.0")));
  CHECK_FALSE(p.contains(bytes("::a00:1")));  // IPv4-compatible is not IPv4
}

TEST_CASE("prefix lengths that are not whole bytes match bit by bit") {
  const auto p = must_parse("192.0.2.64/26");
  CHECK(p.contains(bytes("192.0.2.64")));
  CHECK(p.contains(bytes("192.0.2.127")));
  CHECK_FALSE(p.contains(bytes("192.0.2.128")));
  CHECK_FALSE(p.contains(bytes("192.0.2.63")));
  const auto v6 = must_parse("2001:db8:8000::/33");
  CHECK(v6.contains(bytes("2001:db8:ffff::1")));
  CHECK_FALSE(v6.contains(bytes("2001:db8:7fff::1")));
}

TEST_CASE("IPv6 prefixes, bare addresses and the catch-alls") {
  const auto p = must_parse("2001:db8::/32");
  CHECK_FALSE(p.is_v4());
  CHECK(format_prefix(p) == "2001:db8::/32");
  CHECK(p.contains(bytes("2001:db8:1::5")));
  CHECK_FALSE(p.contains(bytes("2001:db9::")));
  CHECK(format_prefix(must_parse("::1")) == "::1/128");
  CHECK(format_prefix(must_parse("127.0.0.2")) == "127.0.0.2/32");
  CHECK(format_prefix(must_parse("[::1]/128")) == "::1/128");
  CHECK(must_parse("0.0.0.0/0").contains(bytes("203.0.113.9")));
  CHECK_FALSE(must_parse("0.0.0.0/0").contains(bytes("2001:db8::1")));
  CHECK(must_parse("::/0").contains(bytes("2001:db8::1")));
  CHECK_FALSE(must_parse("::/0").contains(bytes("10.0.0.1")));           // families never mix
  CHECK(must_parse("::ffff:10.0.0.0/104").contains(bytes("10.9.9.9")));  // mapped form
}

TEST_CASE("bad prefixes are rejected with a reason that names them") {
  CHECK(parse_error("10.1.2.3/8") ==
        "'10.1.2.3/8' has bits set past its prefix length; did you mean 10.0.0.0/8?");
  CHECK(parse_error("10.0.0.0/33") ==
        "'10.0.0.0/33' has no prefix length from 0 to 32 after the '/'");
  CHECK(parse_error("::/129").find("from 0 to 128") != std::string::npos);
  CHECK(parse_error("10.0.0.0/") != "");
  CHECK(parse_error("10.0.0.0/-1") != "");
  CHECK(parse_error("10.0.0.0/8x") != "");
  CHECK(parse_error("example.com/8") == "'example.com' is not an IPv4 or IPv6 address");
  CHECK(parse_error("fe80::1%lo/64") != "");
  CHECK(parse_error("\x1b[31m/8") == "'\\x1b[31m' is not an IPv4 or IPv6 address");
}

TEST_CASE("lists are comma-separated, may be empty, and reject empty items") {
  std::string reason;
  auto list = parse_prefix_list(" 10.0.0.0/8 , 2001:db8::/32,127.0.0.1 ", reason);
  REQUIRE(list);
  REQUIRE(list->size() == 3);
  CHECK(any_contains(*list, bytes("127.0.0.1")));
  CHECK(any_contains(*list, bytes("2001:db8::77")));
  CHECK_FALSE(any_contains(*list, bytes("127.0.0.2")));
  auto empty = parse_prefix_list("  ", reason);
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK_FALSE(parse_prefix_list("10.0.0.0/8,,::1", reason));
  CHECK_FALSE(parse_prefix_list("10.0.0.0/8,", reason));
}

TEST_CASE("prefix_of cuts an address to the family's length") {
  CHECK(format_prefix(prefix_of(bytes("192.0.2.77"), 24, 56)) == "192.0.2.0/24");
  CHECK(format_prefix(prefix_of(bytes("::ffff:192.0.2.77"), 24, 56)) == "192.0.2.0/24");
  CHECK(format_prefix(prefix_of(bytes("192.0.2.77"), 32, 56)) == "192.0.2.77/32");
  CHECK(format_prefix(prefix_of(bytes("2001:db8:1:2345:6::1"), 24, 56)) == "2001:db8:1:2300::/56");
  CHECK(format_prefix(prefix_of(bytes("2001:db8::1"), 24, 0)) == "::/0");
  CHECK(prefix_of(bytes("10.1.1.1"), 16, 56) == prefix_of(bytes("10.1.200.9"), 16, 56));
  CHECK_FALSE(prefix_of(bytes("10.1.1.1"), 16, 56) == prefix_of(bytes("10.2.1.1"), 16, 56));
}

TEST_CASE("prefix_cutter cuts as prefix_of does, in both families and at every length") {
  for (const char* text :
       {"192.0.2.255", "10.1.2.3", "::ffff:198.51.100.7", "2001:db8:ffff::1", "ff02::1", "::"}) {
    const auto bytes = to_address_bytes(asio::ip::make_address(text));
    for (unsigned v4 : {0u, 1u, 8u, 23u, 24u, 31u, 32u}) {
      for (unsigned v6 : {0u, 7u, 48u, 56u, 64u, 65u, 127u, 128u}) {
        INFO(text, " /", v4, " /", v6);
        CHECK(prefix_cutter(v4, v6).cut(bytes, is_v4_bytes(bytes)) == prefix_of(bytes, v4, v6));
      }
    }
  }
}
