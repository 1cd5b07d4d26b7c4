#include "client/probe_tally.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace udpecho {

double nearest_rank_percentile(const std::vector<double>& sorted, double percent) {
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

rtt_summary summarize_rtts(std::vector<double> rtts_ms) {
  std::sort(rtts_ms.begin(), rtts_ms.end());
  rtt_summary summary;
  summary.min = rtts_ms.front();
  summary.max = rtts_ms.back();
  summary.avg =
      std::accumulate(rtts_ms.begin(), rtts_ms.end(), 0.0) / static_cast<double>(rtts_ms.size());
  summary.p50 = nearest_rank_percentile(rtts_ms, 50);
  summary.p99 = nearest_rank_percentile(rtts_ms, 99);
  return summary;
}

std::string format_percent(double percent) {
  std::string text = fmt::format("{:.1f}", percent);
  if (text.ends_with(".0")) text.resize(text.size() - 2);
  return text + "%";
}

probe_tally::probe_state& probe_tally::state_of(std::uint64_t sequence) {
  if (states_.size() < sequence) states_.resize(sequence, probe_state::unsent);
  return states_[sequence - 1];
}

void probe_tally::sent(std::uint64_t sequence) {
  auto& state = state_of(sequence);
  if (state != probe_state::unsent) return;
  state = probe_state::outstanding;
  ++sent_;
}

bool probe_tally::outstanding(std::uint64_t sequence) const {
  return sequence >= 1 && sequence <= states_.size() &&
         states_[sequence - 1] == probe_state::outstanding;
}

probe_reply_kind probe_tally::reply(std::uint64_t sequence, std::chrono::nanoseconds rtt) {
  if (sequence == 0 || sequence > states_.size()) return probe_reply_kind::unknown;
  auto& state = states_[sequence - 1];
  switch (state) {
    case probe_state::unsent:
      return probe_reply_kind::unknown;
    case probe_state::answered:
      ++duplicates_;
      return probe_reply_kind::duplicate;
    case probe_state::lost:
      // Counted once as late; further copies are duplicates.
      state = probe_state::answered;
      return probe_reply_kind::late;
    case probe_state::outstanding:
      break;
  }
  state = probe_state::answered;
  ++received_;
  rtts_ms_.push_back(static_cast<double>(rtt.count()) / 1e6);
  if (sequence < highest_answered_) {
    ++reordered_;
    return probe_reply_kind::reordered;
  }
  highest_answered_ = sequence;
  return probe_reply_kind::in_order;
}

bool probe_tally::lost(std::uint64_t sequence) {
  if (!outstanding(sequence)) return false;
  states_[sequence - 1] = probe_state::lost;
  ++lost_;
  return true;
}

std::string probe_tally::counts_line() const {
  const double loss =
      sent_ == 0 ? 0.0
                 : 100.0 * static_cast<double>(sent_ - received_) / static_cast<double>(sent_);
  return fmt::format("{} sent, {} received, {} loss, {} duplicates, {} reordered", sent_, received_,
                     format_percent(loss), duplicates_, reordered_);
}

std::string probe_tally::rtt_line() const {
  if (rtts_ms_.empty()) return "rtt min/avg/p50/p99/max = -/-/-/-/- ms (no replies)";
  const auto s = summarize_rtts(rtts_ms_);
  return fmt::format("rtt min/avg/p50/p99/max = {:.3f}/{:.3f}/{:.3f}/{:.3f}/{:.3f} ms", s.min,
                     s.avg, s.p50, s.p99, s.max);
}

}  // namespace udpecho
