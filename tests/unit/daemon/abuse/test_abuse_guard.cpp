#include <doctest/doctest.h>

#include <spdlog/spdlog.h>
#include <array>

#include "../config_helpers.hpp"
#include "daemon/abuse/abuse_guard.hpp"

using namespace udpecho;
using testing::abuse_settings_of;

namespace {
constexpr std::int64_t s = 1'000'000'000;
constexpr std::array<std::uint16_t, 1> own{5002};
constexpr std::string_view reply_prefix = "server send data:";

datagram_facts from(const char* address, std::uint16_t port, std::string_view payload = "hi") {
  static asio::ip::udp::endpoint peer;  // facts point at their endpoint, for log lines
  peer = {asio::ip::make_address(address), port};
  return facts_of(peer, payload);
}

}  // namespace

TEST_CASE("access control comes first, then loop rules, then the rate limit") {
  spdlog::set_level(spdlog::level::off);
  abuse_guard guard(abuse_settings_of("deny = 192.0.2.66\nrate_limit = 1\nrate_burst = 1\n"
                                      "rate_prefix_v4 = 32\n"),
                    1);
  // Denied and from a low port: counted as denied only.
  CHECK_FALSE(guard.admit(from("192.0.2.66", 7), own, reply_prefix, s).answer);
  // From a low port: a loop drop, which spends none of the rate budget.
  CHECK_FALSE(guard.admit(from("192.0.2.1", 19), own, reply_prefix, s).answer);
  CHECK(guard.admit(from("192.0.2.1", 40000), own, reply_prefix, s).answer);
  CHECK_FALSE(guard.admit(from("192.0.2.1", 40000), own, reply_prefix, s).answer);
  CHECK_FALSE(
      guard.admit(from("::ffff:192.0.2.1", 40000, "server send data:x"), own, reply_prefix, s)
          .answer);
  const auto drops = guard.drops();
  CHECK(drops.denied == 1);
  CHECK(drops.loop[static_cast<std::size_t>(loop_rule::source_port)] == 1);
  CHECK(drops.loop[static_cast<std::size_t>(loop_rule::bounced_reply)] == 1);
  CHECK(drops.loop_total() == 2);
  CHECK(drops.rate_limited == 1);
  CHECK(format_drop_status(drops) == "dropped 1 denied, 2 loop, 1 rate-limited");
  CHECK(format_drops(drops).starts_with("dropped: 1 denied, 2 loop (1 source port below 1024"));
}

TEST_CASE("exempt prefixes and rate_limit = 0 are never limited; reload keeps the rest") {
  spdlog::set_level(spdlog::level::off);
  abuse_guard guard(abuse_settings_of("rate_limit = 1\nrate_burst = 1\nrate_exempt = 10.0.0.0/8\n"),
                    2);
  for (int i = 0; i < 100; ++i) {
    CHECK(guard.admit(from("10.1.2.3", 40000), own, reply_prefix, s).answer);
  }
  CHECK(guard.admit(from("192.0.2.1", 40000), own, reply_prefix, s).answer);
  CHECK_FALSE(guard.admit(from("192.0.2.1", 40000), own, reply_prefix, s).answer);
  guard.configure(abuse_settings_of("rate_limit = 0\n"));
  for (int i = 0; i < 100; ++i) {
    CHECK(guard.admit(from("192.0.2.1", 40000), own, reply_prefix, s).answer);
  }
  CHECK(guard.rate_table_capacity() == 0);
  CHECK(guard.drops().rate_limited == 1);
}

TEST_CASE("loop_protection = no answers what the rules would drop") {
  spdlog::set_level(spdlog::level::off);
  abuse_guard guard(abuse_settings_of("loop_protection = no\n"), 3);
  CHECK(guard.admit(from("192.0.2.1", 7), own, reply_prefix, s).answer);
  CHECK(guard.admit(from("192.0.2.1", 5002, "server send data:x"), own, reply_prefix, s).answer);
}

TEST_CASE("workers share the table; each applies the full rate to the prefixes steered to it") {
  const auto quarter =
      abuse_settings_of("rate_limit = 100\nrate_burst = 200\nrate_table_size = 1000\n", 4);
  CHECK(quarter.rate.rate == 100);
  CHECK(quarter.rate.burst == 200);
  CHECK(quarter.rate.table_size == 250);
}

TEST_CASE("admit_again runs only the checks of the datagram itself, and counts as admit does") {
  spdlog::set_level(spdlog::level::off);
  abuse_guard guard(abuse_settings_of("deny = 192.0.2.66\nrate_limit = 1\nrate_burst = 2\n"), 4);
  // Denied, or from a port the loop rules drop: the source did not pass, and says so.
  const auto denied = guard.admit(from("192.0.2.66", 40000), own, reply_prefix, s);
  CHECK_FALSE(denied.answer);
  CHECK_FALSE(denied.source_passed);
  const auto low_port = guard.admit(from("192.0.2.1", 19), own, reply_prefix, s);
  CHECK_FALSE(low_port.answer);
  CHECK_FALSE(low_port.source_passed);
  const auto own_port = guard.admit(from("192.0.2.1", 5002), own, reply_prefix, s);
  CHECK_FALSE(own_port.source_passed);

  const auto first = guard.admit(from("192.0.2.1", 40000), own, reply_prefix, s);
  CHECK(first.answer);
  CHECK(first.source_passed);
  REQUIRE(first.prefix != nullptr);
  // The same peer again: a bounced reply is still a loop drop, and the rate limit still counts.
  const auto bounced =
      guard.admit_again(from("192.0.2.1", 40000, "server send data:x"), reply_prefix, s);
  CHECK_FALSE(bounced.answer);
  CHECK(bounced.source_passed);
  CHECK(guard.admit_again(from("192.0.2.1", 40000), reply_prefix, s).answer);
  CHECK_FALSE(guard.admit_again(from("192.0.2.1", 40000), reply_prefix, s).answer);
  const auto drops = guard.drops();
  CHECK(drops.denied == 1);
  CHECK(drops.loop[static_cast<std::size_t>(loop_rule::source_port)] == 1);
  CHECK(drops.loop[static_cast<std::size_t>(loop_rule::own_port)] == 1);
  CHECK(drops.loop[static_cast<std::size_t>(loop_rule::bounced_reply)] == 1);
  CHECK(drops.rate_limited == 1);
}
