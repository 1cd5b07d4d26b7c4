// The size limits of UDP, for both programs.
#pragma once

#include <asio/ip/address.hpp>
#include <cstddef>

#include "common/endpoint.hpp"

namespace udpecho {

/// The largest UDP payload over IPv4 (65535 - 20 - 8) and over IPv6 without jumbograms (65535 - 8).
inline constexpr std::size_t max_udp_payload_v4 = 65507;
inline constexpr std::size_t max_udp_payload_v6 = 65527;

/// The largest payload a datagram to `address` may carry; IPv4-mapped addresses get the IPv4 limit.
inline std::size_t max_payload_to(const asio::ip::address& address) {
  return unmap_v4(address).is_v4() ? max_udp_payload_v4 : max_udp_payload_v6;
}

}  // namespace udpecho
