// What the abuse policy knows about one datagram. The socket layer's view of it (an endpoint,
// packet info) is turned into these facts once; access control, the loop rules, the rate and log
// limiters and the peer tally all read the same facts instead of deriving them again.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "daemon/abuse/ip_prefix.hpp"

namespace udpecho {

inline const std::optional<asio::ip::address> no_destination;

struct datagram_facts {
  const asio::ip::udp::endpoint* peer = nullptr;  // as the kernel reported it; for log lines
  // The address packet info reported the datagram was sent to, if any; for log records.
  const std::optional<asio::ip::address>* reported_destination = &no_destination;
  address_bytes source{};  // IPv4 and IPv4-mapped sources both as ::ffff:a.b.c.d
  bool v4 = false;         // the source is IPv4 (or IPv4-mapped)
  std::uint16_t source_port = 0;
  bool has_destination = false;  // from packet info, when the socket has it
  address_bytes destination{};
  bool destination_is_broadcast = false;  // the kernel says so (IPv4 packet info)
  std::string_view payload;
};

/// The facts of a datagram from `peer` (which must outlive them) carrying `payload`, in one pass
/// over the socket address. Inline, since it runs for every datagram.
inline datagram_facts facts_of(const asio::ip::udp::endpoint& peer, std::string_view payload) {
  datagram_facts facts;
  facts.peer = &peer;
  facts.payload = payload;
  // Straight from the socket address: building asio::ip::address objects to unmap and copy them
  // costs several times as much.
  const sockaddr* raw = peer.data();
  if (raw->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, raw, sizeof in);
    facts.source[10] = facts.source[11] = 0xFF;
    std::memcpy(facts.source.data() + 12, &in.sin_addr, 4);
    facts.v4 = true;
    facts.source_port = ntohs(in.sin_port);
  } else {
    sockaddr_in6 in6;
    std::memcpy(&in6, raw, sizeof in6);
    std::memcpy(facts.source.data(), &in6.sin6_addr, 16);
    facts.v4 = is_v4_bytes(facts.source);
    facts.source_port = ntohs(in6.sin6_port);
  }
  return facts;
}

/// Adds the address the datagram was sent to, as packet info reported it.
void set_destination(datagram_facts& facts, const asio::ip::address& destination,
                     bool is_broadcast);

}  // namespace udpecho
