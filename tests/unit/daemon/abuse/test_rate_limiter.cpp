#include <doctest/doctest.h>

#include <vector>

#include "daemon/abuse/rate_limiter.hpp"

using namespace udpecho;

namespace {
constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1000 * ms;

ip_prefix prefix(const char* address, unsigned v4_length = 24) {
  return prefix_of(to_address_bytes(asio::ip::make_address(address)), v4_length, 56);
}

// Sends `count` datagrams evenly over [start, start + duration); returns how many were allowed.
int flood(rate_limiter& limiter, const ip_prefix& p, int count, std::int64_t start,
          std::int64_t duration) {
  int allowed = 0;
  for (int i = 0; i < count; ++i) allowed += limiter.allow(p, start + duration * i / count);
  return allowed;
}
}  // namespace

TEST_CASE("a flood gets the burst and then the rate; others are not affected") {
  rate_limiter limiter({100, 100, 1000}, 1);
  const auto flooder = prefix("127.0.0.2", 32);
  const auto innocent = prefix("127.0.0.3", 32);
  int flooder_allowed = 0;
  int innocent_allowed = 0;
  // 5,000 from the flooder over one second and 50 from the other, interleaved.
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t now = s + s * i / 5000;
    flooder_allowed += limiter.allow(flooder, now);
    if (i % 100 == 0) innocent_allowed += limiter.allow(innocent, now);
  }
  CHECK(flooder_allowed >= 199);
  CHECK(flooder_allowed <= 201);
  CHECK(innocent_allowed == 50);
  CHECK(limiter.limited_now() == 1);
}

TEST_CASE("limiting starts once and stops once, reporting what was dropped") {
  rate_limiter limiter({10, 5, 100}, 2);
  const auto p = prefix("192.0.2.9");
  CHECK(flood(limiter, p, 5, 0, 1) == 5);  // the burst
  CHECK_FALSE(limiter.has_events());
  CHECK_FALSE(limiter.allow(p, 1));
  CHECK_FALSE(limiter.allow(p, 2));
  auto events = limiter.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].what == rate_event::kind::started);
  CHECK(events[0].prefix == p);
  CHECK_FALSE(limiter.has_events());
  // Under the rate for a while: allowed, but still "limited" until the bucket is full again.
  CHECK(limiter.allow(p, 200 * ms));
  CHECK_FALSE(limiter.has_events());
  limiter.sweep(300 * ms);
  CHECK_FALSE(limiter.has_events());  // 0.3 s * 10/s = 3 tokens of 5
  limiter.sweep(2 * s);
  events = limiter.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].what == rate_event::kind::stopped);
  CHECK(events[0].dropped == 2);
  CHECK(limiter.limited_now() == 0);
}

TEST_CASE("a limited prefix that comes back calm ends its limiting on its next datagram") {
  rate_limiter limiter({10, 2, 100}, 3);
  const auto p = prefix("2001:db8::1");
  flood(limiter, p, 10, 0, ms);
  limiter.take_events();
  CHECK(limiter.allow(p, 5 * s));
  auto events = limiter.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].what == rate_event::kind::stopped);
  CHECK(events[0].dropped == 8);
}

TEST_CASE("the table stays at its size under many sources, and says when it forgets a limit") {
  rate_limiter limiter({10, 1, 64}, 4);
  const auto first = prefix("198.51.100.1", 32);
  limiter.allow(first, 0);
  CHECK_FALSE(limiter.allow(first, 1));
  limiter.take_events();
  for (std::uint32_t i = 0; i < 10000; ++i) {
    auto bytes = to_address_bytes(asio::ip::make_address_v4(0x0A000000u + i));
    CHECK(limiter.allow(prefix_of(bytes, 32, 128), 2));
  }
  CHECK(limiter.tracked() == 64);
  auto events = limiter.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].what == rate_event::kind::forgotten);
  CHECK(events[0].prefix == first);
  CHECK(events[0].dropped == 1);
  CHECK(limiter.limited_now() == 0);
}

TEST_CASE("prefixes group their addresses") {
  rate_limiter limiter({1, 2, 100}, 5);
  CHECK(limiter.allow(prefix("192.0.2.1"), 0));
  CHECK(limiter.allow(prefix("192.0.2.200"), 0));
  CHECK_FALSE(limiter.allow(prefix("192.0.2.3"), 0));
  CHECK(limiter.allow(prefix("192.0.3.3"), 0));
}

TEST_CASE("rate 0 turns limiting off") {
  rate_limiter limiter({0, 1, 100}, 6);
  CHECK(flood(limiter, prefix("192.0.2.1"), 100000, 0, ms) == 100000);
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("workers share the table, rounded up and never below 1") {
  CHECK(table_share(65536, 1) == 65536);
  CHECK(table_share(65536, 4) == 16384);
  CHECK(table_share(10, 3) == 4);
  CHECK(table_share(1, 8) == 1);
}
