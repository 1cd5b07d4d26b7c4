// Probe mode's bookkeeping: which probes were answered, lost, duplicated or reordered, and the
// round-trip statistics. No I/O, so every count can be tested on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace udpecho {

/// What a reply to a probe is.
enum class probe_reply_kind {
  in_order,   // the first reply to an outstanding probe, after every lower-numbered reply
  reordered,  // the first reply to an outstanding probe, after a reply to a later probe
  duplicate,  // another reply to a probe that already had one
  late,       // the first reply to a probe already counted as lost
  unknown,    // a number that was never sent
};

/// Round-trip statistics in milliseconds; percentiles use the nearest-rank method.
struct rtt_summary {
  double min = 0, avg = 0, p50 = 0, p99 = 0, max = 0;
};

/// Nearest-rank percentile `percent` (0-100] of `sorted`, which must be sorted and not empty.
double nearest_rank_percentile(const std::vector<double>& sorted, double percent);

/// The statistics of `rtts_ms`, which must not be empty.
rtt_summary summarize_rtts(std::vector<double> rtts_ms);

/// Counts for one probe run.
class probe_tally {
 public:
  /// Probe `sequence` (numbered from 1) was sent.
  void sent(std::uint64_t sequence);

  /// A reply to probe `sequence` came after `rtt`.
  probe_reply_kind reply(std::uint64_t sequence, std::chrono::nanoseconds rtt);

  /// Probe `sequence` had no reply in time. Returns false when it had already been answered or
  /// counted as lost, so that the caller prints it once.
  bool lost(std::uint64_t sequence);

  /// True when probe `sequence` was sent and has neither been answered nor counted as lost.
  bool outstanding(std::uint64_t sequence) const;

  std::uint64_t sent_count() const { return sent_; }
  std::uint64_t received_count() const { return received_; }
  std::uint64_t lost_count() const { return lost_; }
  std::uint64_t duplicate_count() const { return duplicates_; }
  std::uint64_t reordered_count() const { return reordered_; }
  /// The highest probe number answered in order so far (0 before any reply).
  std::uint64_t highest_answered() const { return highest_answered_; }

  /// "12 sent, 9 received, 25% loss, 1 duplicates, 1 reordered". Loss counts every probe sent
  /// that was not answered in time.
  std::string counts_line() const;

  /// "rtt min/avg/p50/p99/max = 0.041/0.062/0.055/0.210/0.210 ms", or dashes with no replies.
  std::string rtt_line() const;

 private:
  enum class probe_state : unsigned char { unsent, outstanding, answered, lost };
  probe_state& state_of(std::uint64_t sequence);

  std::vector<probe_state> states_;  // index sequence - 1
  std::vector<double> rtts_ms_;
  std::uint64_t sent_ = 0, received_ = 0, lost_ = 0, duplicates_ = 0, reordered_ = 0;
  std::uint64_t highest_answered_ = 0;
};

/// A loss percentage as people write it: "0%", "25%", "33.3%", "100%".
std::string format_percent(double percent);

}  // namespace udpecho
