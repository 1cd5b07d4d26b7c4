#include <doctest/doctest.h>

#include <map>
#include <random>

#include "daemon/abuse/prefix_table.hpp"

using namespace udpecho;

namespace {
ip_prefix v4(std::uint32_t n) {
  address_bytes b{};
  b[10] = b[11] = 0xFF;
  b[12] = static_cast<std::uint8_t>(n >> 24);
  b[13] = static_cast<std::uint8_t>(n >> 16);
  b[14] = static_cast<std::uint8_t>(n >> 8);
  b[15] = static_cast<std::uint8_t>(n);
  return prefix_of(b, 32, 128);
}

struct counter {
  int hits = 0;
};
}  // namespace

TEST_CASE("entries are found again and keep their values") {
  prefix_table<counter> table(8, 1);
  bool inserted = false;
  auto no_evict = [](const ip_prefix&, counter&) { FAIL("nothing should be evicted"); };
  table.touch(v4(1), inserted, no_evict).hits = 5;
  CHECK(inserted);
  CHECK(table.touch(v4(1), inserted, no_evict).hits == 5);
  CHECK_FALSE(inserted);
  CHECK(table.find(v4(2)) == nullptr);
  REQUIRE(table.find(v4(1)) != nullptr);
  CHECK(table.size() == 1);
}

TEST_CASE("a full table forgets the least recently seen entry") {
  prefix_table<counter> table(3, 7);
  bool inserted = false;
  std::vector<ip_prefix> evicted;
  auto on_evict = [&](const ip_prefix& key, counter&) { evicted.push_back(key); };
  for (std::uint32_t n = 1; n <= 3; ++n) table.touch(v4(n), inserted, on_evict).hits = int(n);
  table.touch(v4(1), inserted, on_evict);  // 1 is now the most recent; 2 the least
  table.touch(v4(4), inserted, on_evict);
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0] == v4(2));
  CHECK(table.size() == 3);
  CHECK(table.find(v4(2)) == nullptr);
  CHECK(table.find(v4(1))->hits == 1);
  CHECK(table.find(v4(3))->hits == 3);
  CHECK(table.find(v4(4))->hits == 0);  // a reused slot starts afresh
  std::vector<ip_prefix> order;
  table.for_each([&](const ip_prefix& key, counter&) { order.push_back(key); });
  CHECK(order == std::vector<ip_prefix>{v4(4), v4(1), v4(3)});
}

TEST_CASE("under heavy churn the table agrees with a reference model and stays bounded") {
  // Random keys from a space a little larger than the table, so hits, misses and evictions mix,
  // and the backward-shift deletion of the hash index is exercised on long probe chains.
  constexpr std::size_t capacity = 500;
  prefix_table<counter> table(capacity, 99);
  std::map<std::uint32_t, int> model;  // key -> hits
  std::map<std::uint32_t, long> last;  // key -> time of last touch
  std::mt19937 random(12345);
  bool inserted = false;
  for (long step = 0; step < 200000; ++step) {
    const std::uint32_t key = random() % 800;
    std::uint32_t evicted_key = 0;
    bool evicted = false;
    auto& value = table.touch(v4(key), inserted, [&](const ip_prefix& k, counter&) {
      evicted = true;
      evicted_key = (std::uint32_t{k.bytes[14]} << 8) | k.bytes[15];
    });
    CHECK(inserted == (model.count(key) == 0));
    if (evicted) {
      // The evicted key must be the model's least recently touched one.
      auto oldest = std::min_element(last.begin(), last.end(),
                                     [](auto& a, auto& b) { return a.second < b.second; });
      REQUIRE(oldest->first == evicted_key);
      model.erase(evicted_key);
      last.erase(evicted_key);
    }
    ++value.hits;
    ++model[key];
    last[key] = step;
    REQUIRE(value.hits == model[key]);
    REQUIRE(table.size() <= capacity);
  }
  CHECK(table.size() == capacity);
  for (auto& [key, hits] : model) {
    REQUIRE(table.find(v4(key)) != nullptr);
    CHECK(table.find(v4(key))->hits == hits);
  }
}
