#include "daemon/abuse/rate_limiter.hpp"

#include <algorithm>

namespace udpecho {

std::size_t table_share(std::size_t table_size, unsigned workers) {
  if (workers <= 1) return table_size;
  return std::max<std::size_t>(1, (table_size + workers - 1) / workers);
}

rate_limiter::rate_limiter(rate_limit_settings settings, std::uint64_t seed)
    : settings_(settings), table_(settings.rate == 0 ? 1 : settings.table_size, seed) {
  settings_.burst = std::max<std::uint32_t>(settings_.burst, 1);
}

void rate_limiter::stop_limiting(const ip_prefix& prefix, bucket& b, rate_event::kind why) {
  events_.push_back({why, prefix, b.dropped});
  b.limited = false;
  b.dropped = 0;
  --limited_;
}

bool rate_limiter::decide(const hashed_prefix& key, nanoseconds now) {
  const ip_prefix& prefix = key.prefix;
  bool inserted = false;
  auto& b = table_.touch(key, inserted, [this](const ip_prefix& old, bucket& gone) {
    if (gone.limited) stop_limiting(old, gone, rate_event::kind::forgotten);
  });
  if (inserted) {
    b.tokens = static_cast<double>(settings_.burst);
    b.refilled = now;
  } else {
    refill(b, now);
  }
  if (b.limited && full(b)) stop_limiting(prefix, b, rate_event::kind::stopped);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (!b.limited) {
    b.limited = true;
    ++limited_;
    events_.push_back({rate_event::kind::started, prefix, 0});
  }
  ++b.dropped;
  return false;
}

void rate_limiter::sweep(nanoseconds now) {
  if (limited_ == 0) return;
  table_.for_each([&](const ip_prefix& prefix, bucket& b) {
    if (!b.limited) return;
    refill(b, now);
    if (full(b)) stop_limiting(prefix, b, rate_event::kind::stopped);
  });
}

std::vector<rate_event> rate_limiter::take_events() {
  std::vector<rate_event> taken;
  taken.swap(events_);
  return taken;
}

}  // namespace udpecho
