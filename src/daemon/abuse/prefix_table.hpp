// A fixed-capacity map from IP prefix to per-prefix state that forgets the least recently seen
// prefix when full. Memory is bounded by the capacity, whatever sources a flood claims to be from,
// and no lookup allocates once the table has filled.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "daemon/abuse/ip_prefix.hpp"

namespace udpecho {

/// A prefix with its hash, worked out once per datagram and shared by every table that uses the
/// same seed (the rate limiter's and the log limiters' of one abuse_guard).
struct hashed_prefix {
  ip_prefix prefix;
  std::uint32_t hash = 0;
};

/// The keyed hash of `prefix`: two rounds of a 64-bit mixer (splitmix64's finaliser), keyed by
/// `seed`, so that a peer cannot choose sources that collide on every host.
inline std::uint32_t hash_prefix(const ip_prefix& prefix, std::uint64_t seed) {
  auto mix = [](std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  std::uint64_t high;
  std::uint64_t low;
  std::memcpy(&high, prefix.bytes.data(), 8);
  std::memcpy(&low, prefix.bytes.data() + 8, 8);
  const auto h = mix(mix(high ^ seed) ^ low ^ (std::uint64_t{prefix.length} << 56));
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

template <class Value>
class prefix_table {
 public:
  /// `seed` keys the hash, so that a peer cannot choose sources that collide on every host;
  /// pass a random one outside tests.
  prefix_table(std::size_t capacity, std::uint64_t seed)
      : capacity_(capacity < 1 ? 1 : capacity),
        seed_(seed),
        index_(std::bit_ceil(capacity_ * 2), empty),
        mask_(index_.size() - 1) {
    slots_.reserve(capacity_);  // reserved, not touched: RSS grows with use only
  }

  /// The entry for `key`, now the most recently seen. A missing key gets a Value{} entry
  /// (`inserted` is set); when the table is full, the least recently seen entry is handed to
  /// `on_evict(key, value)` and its place reused.
  template <class Evict>
  Value& touch(const ip_prefix& key, bool& inserted, Evict&& on_evict) {
    return touch(hashed(key), inserted, on_evict);
  }

  /// The same for a key hashed already (with this table's seed).
  template <class Evict>
  Value& touch(const hashed_prefix& hashed_key, bool& inserted, Evict&& on_evict) {
    const auto& key = hashed_key.prefix;
    const auto hash = hashed_key.hash;
    // A flow's datagrams come in runs: the most recently seen entry needs no probe and no move.
    if (head_ != none && slots_[head_].hash == hash && slots_[head_].key == key) {
      inserted = false;
      return slots_[head_].value;
    }
    std::size_t at = hash & mask_;
    for (; index_[at] != empty; at = (at + 1) & mask_) {
      const auto slot_number = index_[at];
      auto& s = slots_[slot_number];
      if (s.hash == hash && s.key == key) {
        inserted = false;
        move_to_front(slot_number);
        return s.value;
      }
    }
    inserted = true;
    std::uint32_t slot_number;
    if (slots_.size() < capacity_) {
      slot_number = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(slot{});
    } else {
      slot_number = tail_;
      auto& victim = slots_[slot_number];
      on_evict(static_cast<const ip_prefix&>(victim.key), victim.value);
      unlink(slot_number);
      erase_from_index(slot_number);
      // The freed index position may have moved the probe chain; find a free place again.
      at = hash & mask_;
      while (index_[at] != empty) at = (at + 1) & mask_;
    }
    auto& s = slots_[slot_number];
    s.key = key;
    s.hash = hash;
    s.value = Value{};
    index_[at] = slot_number;
    link_front(slot_number);
    return s.value;
  }

  /// The entry for `key` if it is the most recently seen one, else nullptr: the common case of
  /// touch(), cheap enough to inline.
  Value* front(const hashed_prefix& key) {
    if (head_ == none) return nullptr;
    auto& s = slots_[head_];
    return s.hash == key.hash && s.key == key.prefix ? &s.value : nullptr;
  }

  /// The entry for `key`, or nullptr; does not change the order.
  Value* find(const ip_prefix& key) {
    const auto hash = hash_prefix(key, seed_);
    for (std::size_t at = hash & mask_; index_[at] != empty; at = (at + 1) & mask_) {
      auto& s = slots_[index_[at]];
      if (s.hash == hash && s.key == key) return &s.value;
    }
    return nullptr;
  }

  /// Calls f(key, value) for every entry, most recently seen first.
  template <class F>
  void for_each(F&& f) {
    for (auto i = head_; i != none; i = slots_[i].next) f(slots_[i].key, slots_[i].value);
  }

  /// `key` with its hash under this table's seed.
  hashed_prefix hashed(const ip_prefix& key) const { return {key, hash_prefix(key, seed_)}; }

  std::size_t size() const { return slots_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  static constexpr std::uint32_t empty = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint32_t none = empty;

  struct slot {
    ip_prefix key;
    std::uint32_t hash = 0;
    std::uint32_t prev = none;
    std::uint32_t next = none;
    Value value{};
  };

  void unlink(std::uint32_t i) {
    auto& s = slots_[i];
    if (s.prev != none)
      slots_[s.prev].next = s.next;
    else
      head_ = s.next;
    if (s.next != none)
      slots_[s.next].prev = s.prev;
    else
      tail_ = s.prev;
    s.prev = s.next = none;
  }

  void link_front(std::uint32_t i) {
    auto& s = slots_[i];
    s.prev = none;
    s.next = head_;
    if (head_ != none) slots_[head_].prev = i;
    head_ = i;
    if (tail_ == none) tail_ = i;
  }

  void move_to_front(std::uint32_t i) {
    if (head_ == i) return;
    unlink(i);
    link_front(i);
  }

  // Linear probing with backward-shift deletion, so no tombstones pile up under churn.
  void erase_from_index(std::uint32_t slot_number) {
    std::size_t hole = slots_[slot_number].hash & mask_;
    while (index_[hole] != slot_number) hole = (hole + 1) & mask_;
    std::size_t next = hole;
    for (;;) {
      next = (next + 1) & mask_;
      if (index_[next] == empty) break;
      const std::size_t home = slots_[index_[next]].hash & mask_;
      // Leave the entry where it is if its home lies cyclically in (hole, next].
      const bool stays =
          hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
      if (stays) continue;
      index_[hole] = index_[next];
      hole = next;
    }
    index_[hole] = empty;
  }

  std::size_t capacity_;
  std::uint64_t seed_;
  std::vector<std::uint32_t> index_;
  std::size_t mask_;
  std::vector<slot> slots_;
  std::uint32_t head_ = none;  // most recently seen
  std::uint32_t tail_ = none;  // least recently seen
};

}  // namespace udpecho
