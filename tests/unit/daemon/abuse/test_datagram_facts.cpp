#include <doctest/doctest.h>

#include <asio/ip/udp.hpp>

#include "daemon/abuse/datagram_facts.hpp"

using namespace udpecho;

namespace {
asio::ip::udp::endpoint at(const char* address, std::uint16_t port) {
  return {asio::ip::make_address(address), port};
}
}  // namespace

TEST_CASE("facts_of: an IPv4 source and its IPv4-mapped form give the same facts") {
  const auto plain = at("192.0.2.7", 40000);
  const auto mapped = at("::ffff:192.0.2.7", 40000);
  const auto a = facts_of(plain, "x");
  const auto b = facts_of(mapped, "x");
  CHECK(a.v4);
  CHECK(b.v4);
  CHECK(same_address(a.source, b.source));
  CHECK(a.source_port == 40000);
  CHECK(b.source_port == 40000);
  CHECK_FALSE(facts_of(at("2001:db8::7", 40000), "x").v4);
}

TEST_CASE("last_peer matches the very address and port it remembered, and nothing else") {
  last_peer last;
  const auto v4 = at("192.0.2.7", 40000);
  CHECK_FALSE(last.matches(v4));  // nothing remembered yet
  last.remember(v4);
  CHECK(last.matches(at("192.0.2.7", 40000)));
  CHECK_FALSE(last.matches(at("192.0.2.7", 40001)));
  CHECK_FALSE(last.matches(at("192.0.2.8", 40000)));
  CHECK_FALSE(last.matches(at("::ffff:192.0.2.7", 40000)));  // another socket address
  last.forget();
  CHECK_FALSE(last.matches(v4));

  // IPv6: every byte of the 28 counts, the scope of a link-local address too.
  asio::ip::address_v6 link_local = asio::ip::make_address_v6("fe80::1");
  link_local.scope_id(2);
  const asio::ip::udp::endpoint on_two(link_local, 40000);
  last.remember(on_two);
  CHECK(last.matches(on_two));
  link_local.scope_id(3);
  CHECK_FALSE(last.matches(asio::ip::udp::endpoint(link_local, 40000)));
  CHECK_FALSE(last.matches(at("fe80::2", 40000)));
  CHECK_FALSE(last.matches(at("2001:db8::1", 40000)));
  CHECK_FALSE(last.matches(v4));
  last.remember(v4);
  CHECK_FALSE(last.matches(on_two));
  CHECK(last.matches(v4));
}
