// Counting distinct peers in bounded memory.
#pragma once

#include <asio/ip/udp.hpp>
#include <cstddef>
#include <unordered_set>

namespace udpecho {

/// Remembers distinct peer endpoints (IPv4-mapped ones as IPv4) up to `capacity`; past that it
/// stops remembering and reports the count as a lower bound, so a spoofed flood cannot grow it.
class peer_tally {
 public:
  explicit peer_tally(std::size_t capacity = 65536) : capacity_(capacity) {}

  void add(const asio::ip::udp::endpoint& peer);
  std::size_t count() const { return seen_.size(); }
  /// True when peers were left uncounted because the tally was full.
  bool saturated() const { return saturated_; }

 private:
  struct key_hash {
    std::size_t operator()(const asio::ip::udp::endpoint& e) const;
  };
  std::size_t capacity_;
  // The peer added last, as the kernel reported it: a flow's datagrams come in runs, and one
  // comparison is cheaper than unmapping, hashing and probing the set again.
  asio::ip::udp::endpoint last_;
  bool has_last_ = false;
  bool saturated_ = false;
  std::unordered_set<asio::ip::udp::endpoint, key_hash> seen_;
};

}  // namespace udpecho
