#include <doctest/doctest.h>

#include <array>

#include "daemon/abuse/loop_guard.hpp"

using namespace udpecho;

namespace {
constexpr std::array<std::uint16_t, 1> own{5002};
constexpr std::string_view prefix = "server send data:";

datagram_facts from(const char* address, std::uint16_t port, std::string_view payload = "hello") {
  static asio::ip::udp::endpoint peer;  // facts point at their endpoint; the rules read bytes
  peer = {asio::ip::make_address(address), port};
  return facts_of(peer, payload);
}

loop_rule check(const datagram_facts& facts) {
  return check_loop(facts, own, prefix);
}
}  // namespace

TEST_CASE("low source ports, port 0 and NFS are refused; ordinary ports are not") {
  for (std::uint16_t port : {0, 7, 13, 19, 53, 123, 999, 1023, 2049}) {
    INFO(port);
    CHECK(check(from("192.0.2.1", port)) == loop_rule::source_port);
  }
  for (std::uint16_t port : {1024, 2048, 2050, 40000, 65535}) {
    INFO(port);
    CHECK(check(from("192.0.2.1", port)) == loop_rule::none);
  }
}

TEST_CASE("our own port as the source is another echo server") {
  CHECK(check(from("192.0.2.1", 5002)) == loop_rule::own_port);
  CHECK(check(from("2001:db8::1", 5002)) == loop_rule::own_port);
  CHECK(check_loop(from("192.0.2.1", 5002), {}, prefix) == loop_rule::none);
}

TEST_CASE("multicast, broadcast and unspecified sources are refused, in both families") {
  for (const char* address : {"224.0.0.1", "239.255.255.250", "255.255.255.255", "0.0.0.0",
                              "::ffff:224.0.0.1", "::", "ff02::1", "ff05::2"}) {
    INFO(address);
    CHECK(check(from(address, 40000)) == loop_rule::source_address);
  }
  for (const char* address : {"223.255.255.255", "240.0.0.1", "192.0.2.255", "::1", "fe80::1"}) {
    INFO(address);
    CHECK(check(from(address, 40000)) == loop_rule::none);
  }
}

TEST_CASE("datagrams sent to a broadcast or multicast address are refused (Fraggle)") {
  auto facts = from("192.0.2.1", 40000);
  set_destination(facts, asio::ip::make_address("127.0.0.1"), false);
  CHECK(check(facts) == loop_rule::none);
  // The kernel's word, e.g. for 127.255.255.255.
  set_destination(facts, asio::ip::make_address("127.0.0.1"), true);
  CHECK(check(facts) == loop_rule::destination_address);
  for (const char* address : {"224.0.0.1", "255.255.255.255", "ff02::1", "::ffff:239.1.1.1"}) {
    INFO(address);
    set_destination(facts, asio::ip::make_address(address), false);
    CHECK(check(facts) == loop_rule::destination_address);
  }
}

TEST_CASE("a payload that starts with our reply prefix is a bounced reply") {
  CHECK(check(from("192.0.2.1", 40000, "server send data:hello")) == loop_rule::bounced_reply);
  CHECK(check(from("192.0.2.1", 40000, "server send data:")) == loop_rule::bounced_reply);
  CHECK(check(from("192.0.2.1", 40000, "server send data")) == loop_rule::none);
  CHECK(check(from("192.0.2.1", 40000, "xserver send data:")) == loop_rule::none);
  // With no prefix, replies are the bare payload and cannot be told apart.
  CHECK(check_loop(from("192.0.2.1", 40000, "anything"), own, "") == loop_rule::none);
}

TEST_CASE("every rule has words of its own for the log") {
  CHECK(describe(loop_rule::source_port) == "source port below 1024 or 2049");
  CHECK(describe(loop_rule::own_port) == "source port is our own port");
  CHECK(describe(loop_rule::source_address) == "multicast, broadcast or unspecified source");
  CHECK(describe(loop_rule::destination_address) == "sent to a broadcast or multicast address");
  CHECK(describe(loop_rule::bounced_reply) == "payload starts with our reply prefix");
}
