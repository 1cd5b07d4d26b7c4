// The figures one scrape of the metrics endpoint shows, gathered from the daemon at scrape time.
#pragma once

#include <cstdint>
#include <string>

namespace udpecho {

/// Datagrams not answered, by the `reason` label of udpechod_dropped_total.
struct dropped_by_reason {
  std::uint64_t denied = 0;
  std::uint64_t loop_low_port = 0;
  std::uint64_t loop_own_port = 0;
  std::uint64_t loop_group_source = 0;
  std::uint64_t loop_group_destination = 0;
  std::uint64_t loop_prefix = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t oversized = 0;
};

/// Every figure of the exposition; counters are summed over all workers by whoever fills it in.
struct metrics_snapshot {
  std::uint64_t datagrams_received = 0;
  std::uint64_t received_bytes = 0;
  std::uint64_t replies = 0;
  std::uint64_t reply_bytes = 0;
  dropped_by_reason dropped;
  std::uint64_t receive_errors = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t log_lines_suppressed = 0;
  std::uint64_t rate_limited_prefixes = 0;  // limited now
  std::uint64_t rate_table_entries = 0;
  std::uint64_t rate_table_capacity = 0;
  std::uint64_t peers_seen = 0;  // a lower bound once the tally is full
  std::uint64_t workers = 0;
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
  double start_time_seconds = 0;  // Unix time
  std::string version;
};

}  // namespace udpecho
