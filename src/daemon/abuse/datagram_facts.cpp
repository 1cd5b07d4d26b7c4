#include "daemon/abuse/datagram_facts.hpp"

namespace udpecho {

void set_destination(datagram_facts& facts, const asio::ip::address& destination,
                     bool is_broadcast) {
  facts.has_destination = true;
  facts.destination = to_address_bytes(destination);
  facts.destination_is_broadcast = is_broadcast;
}

}  // namespace udpecho
