// What the abuse policy knows about one datagram. The socket layer's view of it (an endpoint,
// packet info) is turned into these facts once; access control, the loop rules, the rate and log
// limiters and the peer tally all read the same facts instead of deriving them again.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
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

/// The socket address of the last datagram's source, kept as the kernel wrote it: telling whether
/// the next datagram comes from the same peer is then two or four word comparisons, made before
/// any fact is derived from it.
class last_peer {
 public:
  bool matches(const asio::ip::udp::endpoint& peer) const {
    // A forgotten peer has size 0, which no socket address has.
    if (peer.size() != size_) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(peer.data());
    std::uint64_t first, second;
    std::memcpy(&first, raw, 8);
    std::memcpy(&second, raw + 8, 8);
    if (((first ^ words_[0]) | (second ^ words_[1])) != 0) return false;
    if (size_ <= 16) return true;  // sockaddr_in: family, port, address and zeros
    std::uint64_t third;           // sockaddr_in6: 28 bytes
    std::uint32_t fourth;
    std::memcpy(&third, raw + 16, 8);
    std::memcpy(&fourth, raw + 24, 4);
    return ((third ^ words_[2]) | (fourth ^ tail_)) == 0;
  }
  void remember(const asio::ip::udp::endpoint& peer) {
    size_ = peer.size();
    words_ = {};
    tail_ = 0;
    const auto* raw = reinterpret_cast<const unsigned char*>(peer.data());
    std::memcpy(words_.data(), raw, std::min<std::size_t>(size_, 24));
    if (size_ > 24) std::memcpy(&tail_, raw + 24, 4);
  }
  void forget() { size_ = 0; }

 private:
  std::array<std::uint64_t, 3> words_{};
  std::uint32_t tail_ = 0;
  std::size_t size_ = 0;
};

/// Adds the address the datagram was sent to, as packet info reported it.
void set_destination(datagram_facts& facts, const asio::ip::address& destination,
                     bool is_broadcast);

}  // namespace udpecho
