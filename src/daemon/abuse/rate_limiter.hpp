// Per-source-prefix rate limiting after BIND's response rate limiting: a token bucket per prefix
// in a bounded table that forgets the least recently seen prefix.
//
// One rate_limiter belongs to one worker thread and takes no lock; every datagram of a prefix
// reaches the same worker (net/socket_options.hpp says how), so only the table is shared out.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "daemon/abuse/ip_prefix.hpp"
#include "daemon/abuse/prefix_table.hpp"

namespace udpecho {

struct rate_limit_settings {
  std::uint32_t rate = 0;   // datagrams per second per prefix; 0 turns limiting off
  std::uint32_t burst = 0;  // datagrams a quiet prefix may send at once
  std::size_t table_size = 65536;

  friend bool operator==(const rate_limit_settings&, const rate_limit_settings&) = default;
};

/// One worker's part of a table of `table_size` prefixes shared by `workers`: rounded up, at
/// least 1.
std::size_t table_share(std::size_t table_size, unsigned workers);

/// Something worth a log line: a prefix began or ended being limited.
struct rate_event {
  enum class kind { started, stopped, forgotten } what;  // forgotten: evicted while limited
  ip_prefix prefix;
  std::uint64_t dropped = 0;  // for stopped/forgotten: datagrams dropped while limited
};

class rate_limiter {
 public:
  using nanoseconds = std::int64_t;  // a monotonic clock reading

  rate_limiter(rate_limit_settings settings, std::uint64_t seed);

  /// Whether a datagram from `prefix` at `now` is within the limit. Counts what it drops.
  bool allow(const ip_prefix& prefix, nanoseconds now) { return allow(table_.hashed(prefix), now); }
  /// The same for a prefix hashed with the `seed` this limiter was made with. The common case,
  /// a datagram within the limit from the prefix seen last, is inline.
  bool allow(const hashed_prefix& prefix, nanoseconds now) {
    if (settings_.rate == 0) return true;
    if (bucket* b = table_.front(prefix); b != nullptr && !b->limited) {
      refill(*b, now);
      if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return true;
      }
    }
    return decide(prefix, now);
  }

  /// Ends limiting of prefixes whose bucket has filled again: they have been quiet, or under
  /// the rate, for burst/rate seconds. Call about once a second.
  void sweep(nanoseconds now);

  /// Events since the last call; the caller logs them.
  std::vector<rate_event> take_events();
  bool has_events() const { return !events_.empty(); }

  std::size_t tracked() const { return table_.size(); }
  std::size_t capacity() const { return table_.capacity(); }
  std::size_t limited_now() const { return limited_; }
  const rate_limit_settings& settings() const { return settings_; }

 private:
  struct bucket {
    double tokens = 0;
    nanoseconds refilled = 0;
    std::uint64_t dropped = 0;  // while limited
    bool limited = false;
  };

  bool decide(const hashed_prefix& prefix, nanoseconds now);
  void refill(bucket& b, nanoseconds now) const {
    if (now <= b.refilled) return;
    const double seconds = static_cast<double>(now - b.refilled) * 1e-9;
    b.tokens = std::min(static_cast<double>(settings_.burst),
                        b.tokens + seconds * static_cast<double>(settings_.rate));
    b.refilled = now;
  }
  bool full(const bucket& b) const { return b.tokens >= static_cast<double>(settings_.burst); }
  void stop_limiting(const ip_prefix& prefix, bucket& b, rate_event::kind why);

  rate_limit_settings settings_;
  prefix_table<bucket> table_;
  std::size_t limited_ = 0;
  std::vector<rate_event> events_;
};

}  // namespace udpecho
