#include <doctest/doctest.h>

#include "client/probe_payload.hpp"
#include "client/probe_tally.hpp"

using namespace udpecho;
using namespace std::chrono_literals;

TEST_CASE("nearest-rank percentiles") {
  const std::vector<double> ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(nearest_rank_percentile(ten, 50) == 5);
  CHECK(nearest_rank_percentile(ten, 99) == 10);
  CHECK(nearest_rank_percentile(ten, 10) == 1);
  CHECK(nearest_rank_percentile(ten, 100) == 10);
  CHECK(nearest_rank_percentile({42}, 50) == 42);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(nearest_rank_percentile(hundred, 99) == 99);
  CHECK(nearest_rank_percentile(hundred, 50) == 50);
  const auto s = summarize_rtts({4, 1, 3, 2});
  CHECK(s.min == 1);
  CHECK(s.max == 4);
  CHECK(s.avg == doctest::Approx(2.5));
  CHECK(s.p50 == 2);
  CHECK(s.p99 == 4);
}

TEST_CASE("loss, duplicates and reordering are counted exactly") {
  probe_tally tally;
  for (std::uint64_t i = 1; i <= 8; ++i) tally.sent(i);
  CHECK(tally.reply(1, 1ms) == probe_reply_kind::in_order);
  CHECK(tally.reply(2, 2ms) == probe_reply_kind::in_order);
  CHECK(tally.reply(2, 2ms) == probe_reply_kind::duplicate);
  CHECK(tally.reply(3, 3ms) == probe_reply_kind::in_order);
  CHECK(tally.lost(4));
  CHECK_FALSE(tally.lost(4));
  CHECK(tally.reply(6, 6ms) == probe_reply_kind::in_order);
  CHECK(tally.highest_answered() == 6);
  CHECK(tally.reply(5, 5ms) == probe_reply_kind::reordered);
  CHECK(tally.reply(7, 7ms) == probe_reply_kind::in_order);
  CHECK(tally.lost(8));
  CHECK(tally.reply(8, 1000ms) == probe_reply_kind::late);
  CHECK(tally.reply(8, 1000ms) == probe_reply_kind::duplicate);
  CHECK(tally.reply(9, 1ms) == probe_reply_kind::unknown);
  CHECK(tally.reply(0, 1ms) == probe_reply_kind::unknown);
  CHECK_FALSE(tally.lost(1));
  CHECK(tally.sent_count() == 8);
  CHECK(tally.received_count() == 6);
  CHECK(tally.lost_count() == 2);
  CHECK(tally.duplicate_count() == 2);
  CHECK(tally.reordered_count() == 1);
  CHECK(tally.counts_line() == "8 sent, 6 received, 25% loss, 2 duplicates, 1 reordered");
  CHECK(tally.rtt_line() == "rtt min/avg/p50/p99/max = 1.000/4.000/3.000/7.000/7.000 ms");
}

TEST_CASE("no replies at all") {
  probe_tally tally;
  tally.sent(1);
  tally.sent(2);
  tally.sent(3);
  CHECK(tally.outstanding(2));
  tally.lost(1);
  tally.lost(2);
  tally.lost(3);
  CHECK_FALSE(tally.outstanding(2));
  CHECK(tally.counts_line() == "3 sent, 0 received, 100% loss, 0 duplicates, 0 reordered");
  CHECK(tally.rtt_line() == "rtt min/avg/p50/p99/max = -/-/-/-/- ms (no replies)");
}

TEST_CASE("loss percentages") {
  CHECK(format_percent(0) == "0%");
  CHECK(format_percent(25) == "25%");
  CHECK(format_percent(100.0 / 3) == "33.3%");
  CHECK(format_percent(100) == "100%");
}

TEST_CASE("probe payloads carry the run's tag and number, at the requested size") {
  const auto payload = make_probe_payload("0123abcd", 17, 56);
  CHECK(payload.size() == 56);
  CHECK(payload.starts_with("udpecho probe 0123abcd #17 ...."));
  CHECK(probe_sequence("server send data:" + payload, "0123abcd", 56) == 17u);
  CHECK(probe_sequence(payload, "0123abcd", 56) == 17u);
  CHECK_FALSE(probe_sequence(payload, "ffffffff", 56));            // another run
  CHECK_FALSE(probe_sequence(payload.substr(1), "0123abcd", 56));  // cut short
  CHECK_FALSE(probe_sequence(payload + "x", "0123abcd", 56));      // not the end of the reply
  CHECK_FALSE(probe_sequence(make_probe_payload("0123abcd", 17, 60), "0123abcd", 56));
  CHECK(make_probe_payload("0123abcd", 1000000, 32).size() == 32);
  CHECK(make_run_tag().size() == 8);
}
