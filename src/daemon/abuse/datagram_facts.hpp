// What the abuse policy knows about one datagram. The socket layer's view of it (an endpoint,
// packet info) is turned into these facts once; access control, the loop rules, the rate and log
// limiters and the peer tally all read the same facts instead of deriving them again.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "daemon/abuse/ip_prefix.hpp"

namespace udpecho {

struct datagram_facts {
  const asio::ip::udp::endpoint* peer = nullptr;  // as the kernel reported it; for log lines
  address_bytes source{};  // IPv4 and IPv4-mapped sources both as ::ffff:a.b.c.d
  bool v4 = false;         // the source is IPv4 (or IPv4-mapped)
  std::uint16_t source_port = 0;
  bool has_destination = false;  // from packet info, when the socket has it
  address_bytes destination{};
  bool destination_is_broadcast = false;  // the kernel says so (IPv4 packet info)
  std::string_view payload;
};

/// The facts of a datagram from `peer` (which must outlive them) carrying `payload`, in one pass
/// over the socket address.
datagram_facts facts_of(const asio::ip::udp::endpoint& peer, std::string_view payload);

/// Adds the address the datagram was sent to, as packet info reported it.
void set_destination(datagram_facts& facts, const asio::ip::address& destination,
                     bool is_broadcast);

}  // namespace udpecho
