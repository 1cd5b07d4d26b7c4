#include <doctest/doctest.h>

#include "daemon/abuse/access_list.hpp"

using namespace udpecho;

namespace {
std::vector<ip_prefix> list(std::string_view text) {
  std::string reason;
  auto parsed = parse_prefix_list(text, reason);
  REQUIRE(parsed);
  return *parsed;
}
address_bytes bytes(const char* text) {
  return to_address_bytes(asio::ip::make_address(text));
}
}  // namespace

TEST_CASE("with no lists everyone is permitted") {
  access_list acl;
  CHECK(acl.open());
  CHECK(acl.permits(bytes("203.0.113.1")));
  CHECK(acl.permits(bytes("2001:db8::1")));
}

TEST_CASE("allow admits only what it lists, in both families") {
  access_list acl(list("192.0.2.0/24, 2001:db8::/32"), {});
  CHECK_FALSE(acl.open());
  CHECK(acl.permits(bytes("192.0.2.200")));
  CHECK(acl.permits(bytes("::ffff:192.0.2.1")));
  CHECK(acl.permits(bytes("2001:db8:ffff::1")));
  CHECK_FALSE(acl.permits(bytes("192.0.3.1")));
  CHECK_FALSE(acl.permits(bytes("2001:db9::1")));
}

TEST_CASE("deny wins over allow") {
  access_list acl(list("192.0.2.0/24, 2001:db8::/32"), list("192.0.2.66, 2001:db8:bad::/48"));
  CHECK(acl.permits(bytes("192.0.2.65")));
  CHECK_FALSE(acl.permits(bytes("192.0.2.66")));
  CHECK(acl.permits(bytes("2001:db8:bac::1")));
  CHECK_FALSE(acl.permits(bytes("2001:db8:bad::1")));
}

TEST_CASE("deny alone shuts out only what it lists") {
  access_list acl({}, list("10.0.0.0/8"));
  CHECK_FALSE(acl.permits(bytes("10.1.2.3")));
  CHECK(acl.permits(bytes("11.1.2.3")));
  CHECK(acl.permits(bytes("::1")));
}
