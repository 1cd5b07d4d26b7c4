#include <doctest/doctest.h>

#include "common/endpoint.hpp"

using namespace udpecho;

TEST_CASE("IPv4 endpoints print as ADDR:PORT, IPv6 as [ADDR]:PORT") {
  CHECK(format_endpoint(asio::ip::make_address("127.0.0.1"), 5002) == "127.0.0.1:5002");
  CHECK(format_endpoint(asio::ip::make_address("::1"), 5002) == "[::1]:5002");
  CHECK(format_endpoint(asio::ip::make_address("2001:db8::5"), 0) == "[2001:db8::5]:0");
  const asio::ip::udp::endpoint endpoint(asio::ip::make_address("10.1.2.3"), 65535);
  CHECK(format_endpoint(endpoint) == "10.1.2.3:65535");
}

TEST_CASE("IPv4-mapped peers are shown as plain IPv4") {
  const auto mapped = asio::ip::make_address("::ffff:192.0.2.7");
  CHECK(format_endpoint(mapped, 40000) == "192.0.2.7:40000");
  CHECK(format_address(mapped) == "192.0.2.7");
  CHECK(unmap_v4(mapped) == asio::ip::make_address("192.0.2.7"));
  CHECK(unmap_v4(asio::ip::make_address("::1")) == asio::ip::make_address("::1"));
}

TEST_CASE("IP literals parse; names and junk do not") {
  CHECK(parse_ip_literal("127.0.0.1") == asio::ip::make_address("127.0.0.1"));
  CHECK(parse_ip_literal("::") == asio::ip::make_address("::"));
  CHECK(parse_ip_literal("[::1]") == asio::ip::make_address("::1"));
  CHECK_FALSE(parse_ip_literal("[127.0.0.1]"));
  CHECK_FALSE(parse_ip_literal("localhost"));
  CHECK_FALSE(parse_ip_literal(""));
  CHECK_FALSE(parse_ip_literal("[]"));
  CHECK_FALSE(parse_ip_literal("1.2.3.4.5"));
  CHECK_FALSE(parse_ip_literal("256.0.0.1"));
  CHECK_FALSE(parse_ip_literal(" 1.2.3.4"));
}

TEST_CASE("ports are 0-65535, digits only") {
  CHECK(parse_port("0") == 0);
  CHECK(parse_port("5002") == 5002);
  CHECK(parse_port("65535") == 65535);
  CHECK_FALSE(parse_port("65536"));
  CHECK_FALSE(parse_port("70000"));
  CHECK_FALSE(parse_port("-1"));
  CHECK_FALSE(parse_port("+1"));
  CHECK_FALSE(parse_port("12a"));
  CHECK_FALSE(parse_port(""));
  CHECK_FALSE(parse_port("000000001"));
}
