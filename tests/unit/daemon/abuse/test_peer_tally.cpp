#include <doctest/doctest.h>

#include "daemon/abuse/peer_tally.hpp"

using namespace udpecho;

namespace {
datagram_facts ep(const char* address, unsigned short port) {
  static asio::ip::udp::endpoint peer;  // facts point at their endpoint; add() reads only bytes
  peer = {asio::ip::make_address(address), port};
  return facts_of(peer, "");
}
}  // namespace

TEST_CASE("each address and port counts once; mapped IPv4 is the same peer as IPv4") {
  peer_tally tally;
  tally.add(ep("127.0.0.1", 1000));
  tally.add(ep("127.0.0.1", 1000));
  tally.add(ep("::ffff:127.0.0.1", 1000));
  tally.add(ep("127.0.0.1", 1001));
  tally.add(ep("::1", 1000));
  CHECK(tally.count() == 3);
  CHECK_FALSE(tally.saturated());
}

TEST_CASE("the tally stops growing at its capacity and says so") {
  peer_tally tally(4);
  for (unsigned short port = 1; port <= 10; ++port) tally.add(ep("10.0.0.1", port));
  CHECK(tally.count() == 4);
  CHECK(tally.saturated());
}

TEST_CASE("a known peer at capacity does not saturate the tally") {
  peer_tally tally(1);
  tally.add(ep("10.0.0.1", 1));
  tally.add(ep("10.0.0.1", 1));
  CHECK_FALSE(tally.saturated());
}
