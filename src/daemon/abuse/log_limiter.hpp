// Bounded logging of per-datagram lines: a handful of lines per second per source prefix, a cap
// on all prefixes together, and one "N log lines suppressed for PREFIX" summary per interval in
// place of the rest. A flood can neither fill the journal nor slow the daemon by formatting lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/abuse/ip_prefix.hpp"
#include "daemon/abuse/prefix_table.hpp"

namespace udpecho {

struct log_limit_settings {
  double lines_per_second = 5;   // per prefix, sustained
  double burst = 10;             // per prefix, after a quiet spell
  double total_per_second = 50;  // all prefixes together, so many sources cannot add up
  double total_burst = 100;
  std::size_t table_size = 4096;  // prefixes remembered; the least recently seen is forgotten
  std::int64_t interval_ns = 10'000'000'000;  // how often suppression summaries are written
  std::size_t max_summaries = 10;             // per interval; further prefixes share one line
};

/// One "N log lines suppressed for PREFIX" line: for one prefix, or for `prefixes` more.
struct suppression_summary {
  std::optional<ip_prefix> prefix;  // empty: the line sums up `prefixes` prefixes
  std::uint64_t prefixes = 1;
  std::uint64_t lines = 0;

  /// "20 log lines suppressed for 192.0.2.0/24", "897 log lines suppressed for 897 more prefixes"
  std::string text() const;
};

class log_limiter {
 public:
  using nanoseconds = std::int64_t;

  explicit log_limiter(log_limit_settings settings = {}, std::uint64_t seed = 0);

  /// Whether a line about `prefix` may be written at `now`. Decide before formatting it.
  bool allow(const ip_prefix& prefix, nanoseconds now) { return allow(table_.hashed(prefix), now); }

  /// The same for a prefix hashed with the `seed` this limiter was made with. Under a flood most
  /// lines are suppressed: once a prefix is out of tokens, its lines until the next token are
  /// counted here without touching the buckets (their refill is linear, so catching up later
  /// gives the same tokens), until a line about another prefix comes.
  bool allow(const hashed_prefix& prefix, nanoseconds now) {
    if (silent_ != nullptr && now < silent_until_ && prefix.hash == silent_prefix_.hash &&
        prefix.prefix == silent_prefix_.prefix) {
      ++silent_->suppressed;
      ++suppressed_total_;
      return false;
    }
    return decide(prefix, now);
  }

  /// When an interval has passed since the last summaries: one line per prefix that had lines
  /// suppressed, "N log lines suppressed for PREFIX", at most max_summaries of them and then
  /// "N log lines suppressed for M more prefixes". Otherwise nothing.
  std::vector<suppression_summary> due_summaries(nanoseconds now);

  /// Lines suppressed since the start.
  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  struct bucket {
    double tokens = 0;
    nanoseconds refilled = 0;
    std::uint64_t suppressed = 0;  // since the last summary
  };

  bool decide(const hashed_prefix& prefix, nanoseconds now);

  log_limit_settings settings_;
  prefix_table<bucket> table_;
  bucket* silent_ = nullptr;  // the bucket of the prefix that is out of tokens until silent_until_
  hashed_prefix silent_prefix_;
  nanoseconds silent_until_ = 0;
  double total_tokens_;
  nanoseconds total_refilled_ = 0;
  nanoseconds last_summary_ = 0;
  bool started_ = false;
  std::uint64_t forgotten_lines_ = 0;  // suppressed for prefixes the table has since dropped
  std::uint64_t forgotten_prefixes_ = 0;
  std::uint64_t suppressed_total_ = 0;
};

}  // namespace udpecho
