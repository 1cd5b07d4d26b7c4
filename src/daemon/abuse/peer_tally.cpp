#include "daemon/abuse/peer_tally.hpp"

#include <cstring>
#include <functional>

namespace udpecho {

std::size_t peer_tally::key_hash::operator()(const key& k) const {
  std::uint64_t high;
  std::uint64_t low;
  std::memcpy(&high, k.address.data(), 8);
  std::memcpy(&low, k.address.data() + 8, 8);
  return std::hash<std::uint64_t>{}(high * 31 + low) * 31 + k.port;
}

void peer_tally::remember(const key& peer) {
  last_ = peer;
  has_last_ = true;
  if (seen_.size() >= capacity_) {
    if (!seen_.contains(peer)) saturated_ = true;
    return;
  }
  seen_.insert(peer);
}

}  // namespace udpecho
