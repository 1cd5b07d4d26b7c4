#include "daemon/abuse/log_limiter.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace udpecho {
namespace {

double refilled(double tokens, double rate, double burst, std::int64_t elapsed_ns) {
  if (elapsed_ns <= 0) return tokens;
  return std::min(burst, tokens + static_cast<double>(elapsed_ns) * 1e-9 * rate);
}

}  // namespace

std::string suppression_summary::text() const {
  const auto whom = prefix ? format_prefix(*prefix)
                           : fmt::format("{} more prefix{}", prefixes, prefixes == 1 ? "" : "es");
  return fmt::format("{} log line{} suppressed for {}", lines, lines == 1 ? "" : "s", whom);
}

log_limiter::log_limiter(log_limit_settings settings, std::uint64_t seed)
    : settings_(settings), table_(settings.table_size, seed), total_tokens_(settings.total_burst) {}

bool log_limiter::decide(const hashed_prefix& prefix, nanoseconds now) {
  silent_ = nullptr;  // a touch may evict or move any entry
  if (!started_) {
    started_ = true;
    last_summary_ = now;
    total_refilled_ = now;
  }
  bool inserted = false;
  auto& b = table_.touch(prefix, inserted, [this](const ip_prefix&, bucket& gone) {
    if (gone.suppressed == 0) return;
    forgotten_lines_ += gone.suppressed;
    ++forgotten_prefixes_;
  });
  if (inserted) {
    b.tokens = settings_.burst;
  } else {
    b.tokens = refilled(b.tokens, settings_.lines_per_second, settings_.burst, now - b.refilled);
  }
  b.refilled = now;
  total_tokens_ = refilled(total_tokens_, settings_.total_per_second, settings_.total_burst,
                           now - total_refilled_);
  total_refilled_ = std::max(total_refilled_, now);
  if (b.tokens >= 1.0 && total_tokens_ >= 1.0) {
    b.tokens -= 1.0;
    total_tokens_ -= 1.0;
    return true;
  }
  ++b.suppressed;
  ++suppressed_total_;
  // The first moment either bucket can hold a whole token again, rounded down so that no line
  // that would be allowed is counted as suppressed; an hour at most.
  const auto wait_for = [](double tokens, double rate) {
    if (tokens >= 1.0) return 0.0;
    return rate > 0 ? std::min((1.0 - tokens) / rate * 1e9, 3600e9) : 3600e9;
  };
  const double wait = std::max(wait_for(b.tokens, settings_.lines_per_second),
                               wait_for(total_tokens_, settings_.total_per_second));
  silent_ = &b;
  silent_prefix_ = prefix;
  silent_until_ = now + static_cast<nanoseconds>(wait);
  return false;
}

std::vector<suppression_summary> log_limiter::due_summaries(nanoseconds now) {
  std::vector<suppression_summary> lines;
  if (!started_ || now - last_summary_ < settings_.interval_ns) return lines;
  last_summary_ = now;
  std::uint64_t rest_lines = forgotten_lines_;
  std::uint64_t rest_prefixes = forgotten_prefixes_;
  forgotten_lines_ = forgotten_prefixes_ = 0;
  table_.for_each([&](const ip_prefix& prefix, bucket& b) {
    if (b.suppressed == 0) return;
    if (lines.size() < settings_.max_summaries) {
      lines.push_back({prefix, 1, b.suppressed});
    } else {
      rest_lines += b.suppressed;
      ++rest_prefixes;
    }
    b.suppressed = 0;
  });
  if (rest_prefixes > 0) {
    lines.push_back({std::nullopt, rest_prefixes, rest_lines});
  }
  return lines;
}

}  // namespace udpecho
