// The checks a datagram passes before it is answered, in order: access control, loop rules, rate
// limit. Counts every drop by reason and keeps the log lines about them bounded.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/abuse/access_list.hpp"
#include "daemon/net/datagram_socket.hpp"
#include "daemon/abuse/ip_prefix.hpp"
#include "daemon/abuse/log_limiter.hpp"
#include "daemon/abuse/loop_guard.hpp"
#include "daemon/abuse/rate_limiter.hpp"
#include "daemon/log_event.hpp"

namespace udpecho {

struct daemon_config;

/// The abuse settings of the config file, parsed.
struct abuse_settings {
  bool loop_protection = true;
  rate_limit_settings rate;
  unsigned prefix_v4 = 24;
  unsigned prefix_v6 = 56;
  std::vector<ip_prefix> rate_exempt;
  std::vector<ip_prefix> allow;
  std::vector<ip_prefix> deny;
};

/// The abuse settings of `config` for one of `workers` threads that each own an abuse_guard:
/// the full rate limit and burst, and an equal share of the table (see rate_limiter.hpp).
abuse_settings abuse_settings_from(const daemon_config& config, unsigned workers = 1);

/// Datagrams not answered, by reason.
struct drop_counters {
  std::uint64_t denied = 0;
  std::array<std::uint64_t, 6> loop{};  // indexed by loop_rule; [0] (none) stays 0
  std::uint64_t rate_limited = 0;
  std::uint64_t log_lines_suppressed = 0;  // not a drop of a datagram, but of its log line

  std::uint64_t loop_total() const;
  drop_counters& operator+=(const drop_counters& other);
};

/// Every counter, for the stop summary: "dropped: 2 denied, 3 loop (1 source port below 1024 or
/// 2049, ...), 40 rate-limited; 17 log lines suppressed".
std::string format_drops(const drop_counters& drops);

/// Every counter of format_drops() as a field of its own: UDPECHO_DROPPED_DENIED, ...
void add_drop_fields(log_event& event, const drop_counters& drops);

/// A short form for a status line (systemd's STATUS=): "dropped 2 denied, 3 loop, 40 limited".
std::string format_drop_status(const drop_counters& drops);

class abuse_guard {
 public:
  using nanoseconds = std::int64_t;

  /// `seed` keys the prefix tables' hashes; 0 picks a random one.
  explicit abuse_guard(const abuse_settings& settings, std::uint64_t seed = 0);

  /// Takes new settings (on reload). The rate table starts afresh only if its settings changed.
  void configure(const abuse_settings& settings);

  /// Decides whether `request` may be answered; counts and (boundedly) logs a drop.
  /// `own_ports` are the ports the daemon listens on.
  bool admit(const datagram& request, std::span<const std::uint16_t> own_ports,
             std::string_view reply_prefix, nanoseconds now);

  /// Whether a routine line about the datagram admit() last saw may be logged now.
  bool may_log(nanoseconds now) { return lines_.allow(current_, now); }
  /// The same for a line about a problem with it (too large, ...), on a budget of its own.
  bool may_warn(nanoseconds now) { return problems_.allow(current_, now); }

  /// Housekeeping, about once a second: ends rate limiting of prefixes that calmed down and
  /// writes the suppression summaries that are due.
  void tick(nanoseconds now);

  drop_counters drops() const;
  std::size_t rate_table_entries() const { return rate_.tracked(); }
  std::size_t rate_table_capacity() const { return rate_.settings().rate ? rate_.capacity() : 0; }

 private:
  void log_rate_events(nanoseconds now);

  abuse_settings settings_;
  access_list access_;
  std::uint64_t seed_;
  rate_limiter rate_;
  log_limiter lines_;
  log_limiter problems_;
  log_limiter events_;
  ip_prefix current_;
  drop_counters drops_;
};

}  // namespace udpecho
