// Turning HOST into the one address udpecho talks to.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/client_options.hpp"

namespace udpecho {

/// The address to use, or why there is none.
struct resolved_target {
  std::optional<asio::ip::udp::endpoint> endpoint;
  std::string error;  // set when endpoint is empty
};

/// Picks the address to talk to from a name's addresses, in resolver order: the first of the
/// requested family; with no family requested, the first IPv4 one (udpechod listens on 127.0.0.1
/// by default, and "localhost" lists ::1 first), else the first.
std::optional<asio::ip::address> pick_address(const std::vector<asio::ip::address>& addresses,
                                              address_family family);

/// Resolves `host` (an IPv4 or IPv6 literal, or a name) for UDP `port`.
asio::awaitable<resolved_target> resolve_target(std::string host, std::uint16_t port,
                                                address_family family);

}  // namespace udpecho
