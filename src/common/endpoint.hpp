// Parsing and printing IP addresses and UDP endpoints the way our logs and messages show them.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace udpecho {

/// Turns an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into the IPv4 address it carries; any
/// other address is returned unchanged.
asio::ip::address unmap_v4(const asio::ip::address& address);

/// Parses an IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]", "fe80::1%lo").
/// Names are not resolved. Returns nothing when `text` is not a literal.
std::optional<asio::ip::address> parse_ip_literal(std::string_view text);

/// Parses a decimal port number 0-65535, digits only.
std::optional<std::uint16_t> parse_port(std::string_view text);

/// Prints an address, unmapped: "127.0.0.1", "::1".
std::string format_address(const asio::ip::address& address);

/// Prints an endpoint, unmapped: "127.0.0.1:5002", "[::1]:5002".
std::string format_endpoint(const asio::ip::address& address, std::uint16_t port);
std::string format_endpoint(const asio::ip::udp::endpoint& endpoint);

}  // namespace udpecho
