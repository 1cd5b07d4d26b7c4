// Counting distinct peers in bounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>

#include "daemon/abuse/datagram_facts.hpp"

namespace udpecho {

/// Remembers distinct peers (source address and port; IPv4-mapped sources count as IPv4) up to
/// `capacity`; past that it stops remembering and reports the count as a lower bound, so a
/// spoofed flood cannot grow it.
class peer_tally {
 public:
  explicit peer_tally(std::size_t capacity = 65536) : capacity_(capacity) {}

  /// Counts the source of `facts`.
  void add(const datagram_facts& facts) {
    // A flow's datagrams come in runs: one comparison is cheaper than hashing and probing the set.
    if (has_last_ && facts.source_port == last_.port && same_address(facts.source, last_.address)) {
      return;
    }
    remember({facts.source, facts.source_port});
  }
  std::size_t count() const { return seen_.size(); }
  /// True when peers were left uncounted because the tally was full.
  bool saturated() const { return saturated_; }

 private:
  struct key {
    address_bytes address{};
    std::uint16_t port = 0;
    friend bool operator==(const key& a, const key& b) {
      return a.port == b.port && same_address(a.address, b.address);
    }
  };
  struct key_hash {
    std::size_t operator()(const key& k) const;
  };
  void remember(const key& peer);

  std::size_t capacity_;
  key last_;  // the peer added last
  bool has_last_ = false;
  bool saturated_ = false;
  std::unordered_set<key, key_hash> seen_;
};

}  // namespace udpecho
