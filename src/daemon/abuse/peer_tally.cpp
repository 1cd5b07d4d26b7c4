#include "daemon/abuse/peer_tally.hpp"

#include <functional>

#include "common/endpoint.hpp"

namespace udpecho {

std::size_t peer_tally::key_hash::operator()(const asio::ip::udp::endpoint& e) const {
  const auto address = e.address();
  std::size_t h = 0;
  if (address.is_v4()) {
    h = std::hash<unsigned>{}(address.to_v4().to_uint());
  } else {
    const auto bytes = address.to_v6().to_bytes();
    h = std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return h * 31 + e.port();
}

void peer_tally::add(const asio::ip::udp::endpoint& peer) {
  if (has_last_ && peer == last_) return;
  last_ = peer;
  has_last_ = true;
  const asio::ip::udp::endpoint plain(unmap_v4(peer.address()), peer.port());
  if (seen_.size() >= capacity_) {
    if (!seen_.contains(plain)) saturated_ = true;
    return;
  }
  seen_.insert(plain);
}

}  // namespace udpecho
