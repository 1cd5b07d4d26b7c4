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
#include "daemon/abuse/datagram_facts.hpp"
#include "daemon/abuse/ip_prefix.hpp"
#include "daemon/abuse/log_limiter.hpp"
#include "daemon/abuse/loop_guard.hpp"
#include "daemon/abuse/prefix_table.hpp"
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

/// What abuse_guard::admit() decided about a datagram, and the source prefix it worked out, which
/// the caller hands back to may_log() and may_warn() for lines about the same datagram.
struct admission {
  bool answer = false;
  const hashed_prefix* prefix = nullptr;  // the guard's own, valid until the next admit
  /// The checks that depend on the source alone (allow/deny, source port and address) passed:
  /// the next datagram from the same address and port may go through admit_again().
  bool source_passed = false;
};

class abuse_guard {
 public:
  using nanoseconds = std::int64_t;

  /// `seed` keys the prefix tables' hashes; 0 picks a random one.
  explicit abuse_guard(const abuse_settings& settings, std::uint64_t seed = 0);

  /// Takes new settings (on reload). The rate table starts afresh only if its settings changed.
  /// A caller of admit_again() must call admit() for the next datagram.
  void configure(const abuse_settings& settings);

  /// Decides whether the datagram `facts` describe may be answered; counts and (boundedly) logs
  /// a drop. `own_ports` are the ports the daemon listens on. Inline: it runs for every datagram,
  /// and what is rare (a new source address, a drop, the rate limiter) is called out of line.
  admission admit(const datagram_facts& facts, std::span<const std::uint16_t> own_ports,
                  std::string_view reply_prefix, nanoseconds now) {
    // Consecutive datagrams mostly come from one address (a flow, or flows of one host): what
    // depends on the address alone is worked out when it changes.
    if (!last_.valid || !same_address(facts.source, last_.source)) learn_source(facts);
    const hashed_prefix& prefix = last_.prefix;
    if (!last_.permitted) {
      denied(facts, prefix, now);
      return {false, &prefix, false};
    }
    if (settings_.loop_protection) {
      const auto rule = check_source(facts, own_ports);
      if (rule != loop_rule::none) {
        looped(facts, rule, prefix, now);
        return {false, &prefix, false};
      }
    }
    return admit_again(facts, reply_prefix, now);
  }

  /// admit() for a datagram from the address and port of the one before it, which passed the
  /// checks of its source (admission::source_passed) with the settings still in force: only the
  /// checks that depend on the datagram itself run. Runs of datagrams from one peer are the common
  /// case, and the caller can tell them by the socket address alone, before any facts are derived.
  admission admit_again(const datagram_facts& facts, std::string_view reply_prefix,
                        nanoseconds now) {
    const hashed_prefix& prefix = last_.prefix;
    if (settings_.loop_protection) {
      const auto rule = check_content(facts, reply_prefix);
      if (rule != loop_rule::none) {
        looped(facts, rule, prefix, now);
        return {false, &prefix, true};
      }
    }
    if (settings_.rate.rate != 0 && !last_.rate_exempt && !rate_allows(facts, prefix, now)) {
      return {false, &prefix, true};
    }
    return {true, &prefix, true};
  }

  /// Whether a routine line about a datagram from `prefix` (admission::prefix) may be logged now.
  bool may_log(const hashed_prefix& prefix, nanoseconds now) { return lines_.allow(prefix, now); }
  /// The same for a line about a problem with it (too large, ...), on a budget of its own.
  bool may_warn(const hashed_prefix& prefix, nanoseconds now) {
    return problems_.allow(prefix, now);
  }

  /// Housekeeping, about once a second: ends rate limiting of prefixes that calmed down and
  /// writes the suppression summaries that are due.
  void tick(nanoseconds now);

  drop_counters drops() const;
  std::size_t rate_table_entries() const { return rate_.tracked(); }
  std::size_t rate_table_capacity() const { return rate_.settings().rate ? rate_.capacity() : 0; }
  std::size_t rate_limited_prefixes() const { return rate_.limited_now(); }

 private:
  /// What follows from a datagram's source address alone, under the current settings.
  struct source_facts {
    bool valid = false;
    address_bytes source{};
    hashed_prefix prefix;
    bool permitted = false;    // by allow/deny
    bool rate_exempt = false;  // by rate_exempt
  };
  void learn_source(const datagram_facts& facts);
  /// The rate limiter's verdict; counts the drop and logs limiting that started or stopped.
  bool rate_allows(const datagram_facts& facts, const hashed_prefix& prefix, nanoseconds now) {
    const bool allowed = rate_.allow(prefix, now);
    if (rate_.has_events()) log_rate_events(now);
    if (!allowed) rate_limited(facts, prefix, now);
    return allowed;
  }
  // Drops are rare next to answers: counting and logging them stays off the common path.
  [[gnu::cold]] void denied(const datagram_facts& facts, const hashed_prefix& prefix,
                            nanoseconds now);
  [[gnu::cold]] void looped(const datagram_facts& facts, loop_rule rule,
                            const hashed_prefix& prefix, nanoseconds now);
  [[gnu::cold]] void rate_limited(const datagram_facts& facts, const hashed_prefix& prefix,
                                  nanoseconds now);
  void log_rate_events(nanoseconds now);

  abuse_settings settings_;
  access_list access_;
  prefix_cutter cutter_;
  std::uint64_t seed_;  // keys every table's hash, so one hash per datagram serves them all
  rate_limiter rate_;
  log_limiter lines_;
  log_limiter problems_;
  log_limiter events_;
  source_facts last_;  // of the last datagram's source
  drop_counters drops_;
};

}  // namespace udpecho
