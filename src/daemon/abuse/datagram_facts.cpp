#include "daemon/abuse/datagram_facts.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace udpecho {

datagram_facts facts_of(const asio::ip::udp::endpoint& peer, std::string_view payload) {
  datagram_facts facts;
  facts.peer = &peer;
  facts.payload = payload;
  // Straight from the socket address: building asio::ip::address objects to unmap and copy them
  // costs several times as much, on every datagram.
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

void set_destination(datagram_facts& facts, const asio::ip::address& destination,
                     bool is_broadcast) {
  facts.has_destination = true;
  facts.destination = to_address_bytes(destination);
  facts.destination_is_broadcast = is_broadcast;
}

}  // namespace udpecho
