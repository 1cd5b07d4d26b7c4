#include <doctest/doctest.h>

#include "daemon/abuse/log_limiter.hpp"

using namespace udpecho;

namespace {
constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1000 * ms;

ip_prefix prefix(const char* address) {
  return prefix_of(to_address_bytes(asio::ip::make_address(address)), 24, 56);
}
}  // namespace

TEST_CASE("a flood from one prefix gets its burst, then a few lines a second") {
  log_limiter limiter;  // 5/s, burst 10
  const auto p = prefix("192.0.2.1");
  int written = 0;
  for (int i = 0; i < 20000; ++i) written += limiter.allow(p, s + 2 * s * i / 20000);
  CHECK(written >= 19);
  CHECK(written <= 21);
  CHECK(limiter.suppressed_total() == 20000u - unsigned(written));
}

TEST_CASE("one summary per prefix per interval, then quiet") {
  log_limiter limiter;
  const auto p = prefix("192.0.2.1");
  std::int64_t now = s;
  for (int i = 0; i < 30; ++i) limiter.allow(p, now);
  CHECK(limiter.due_summaries(now + 5 * s).empty());  // interval not over
  auto lines = limiter.due_summaries(now + 10 * s);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text() == "20 log lines suppressed for 192.0.2.0/24");
  CHECK(limiter.due_summaries(now + 21 * s).empty());  // nothing new suppressed
  limiter.allow(p, now + 22 * s);
  CHECK(limiter.due_summaries(now + 32 * s).empty());  // that line was written
}

TEST_CASE("many prefixes share a total budget and the summaries are capped") {
  log_limit_settings settings;
  settings.total_per_second = 50;
  settings.total_burst = 100;
  settings.max_summaries = 3;
  log_limiter limiter(settings, 1);
  int written = 0;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    auto bytes = to_address_bytes(asio::ip::make_address_v4(0xC6120000u + (i << 8)));
    written += limiter.allow(prefix_of(bytes, 24, 56), s);
  }
  CHECK(written == 100);
  auto lines = limiter.due_summaries(11 * s);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text().starts_with("1 log line suppressed for 198."));
  CHECK(lines[3].text() == "897 log lines suppressed for 897 more prefixes");
}

TEST_CASE("suppressions of prefixes the table forgot are still summarised") {
  log_limit_settings settings;
  settings.table_size = 2;
  settings.burst = 1;
  log_limiter limiter(settings, 2);
  limiter.allow(prefix("192.0.2.1"), s);
  limiter.allow(prefix("192.0.2.1"), s);  // suppressed
  limiter.allow(prefix("198.51.100.1"), s);
  limiter.allow(prefix("203.0.113.1"), s);  // pushes 192.0.2.0/24 out
  auto lines = limiter.due_summaries(20 * s);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text() == "1 log line suppressed for 1 more prefix");
}

TEST_CASE("a flood counts every suppressed line while lines about another prefix come between") {
  // The silent stretch of a prefix must end when another prefix is logged, and its count stay
  // exact: one limiter alternating runs of two prefixes against the budget worked out by hand.
  log_limiter limiter({}, 7);
  const auto a = prefix_of(to_address_bytes(asio::ip::make_address("192.0.2.1")), 24, 56);
  const auto b = prefix_of(to_address_bytes(asio::ip::make_address("2001:db8::1")), 24, 56);
  int written_a = 0;
  int written_b = 0;
  // 10 s, 1000 lines a second each: a burst of 10 and then 5 a second per prefix.
  for (int i = 0; i < 10000; ++i) {
    const std::int64_t now = s + std::int64_t{i} * s / 1000;
    written_a += limiter.allow(a, now);
    if (i % 3 == 0) written_b += limiter.allow(b, now);
  }
  CHECK(written_a >= 10 + 49);
  CHECK(written_a <= 10 + 50);
  CHECK(written_b >= 10 + 49);
  CHECK(written_b <= 10 + 50);
  CHECK(limiter.suppressed_total() == 10000 + 3334 - written_a - written_b);
}
