#include "daemon/systemd/service_status.hpp"

#include <fmt/format.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "common/endpoint.hpp"
#include "daemon/systemd/sd_notify.hpp"

namespace udpecho {

std::string with_thousands_separators(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  grouped.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string status_text(const std::vector<asio::ip::udp::endpoint>& endpoints,
                        std::uint64_t datagrams, std::uint64_t peers, bool peers_lower_bound) {
  std::string where;
  for (const auto& endpoint : endpoints) {
    if (!where.empty()) where += ", ";
    where += format_endpoint(endpoint);
  }
  if (where.empty()) where = "no socket";
  // U+00B7 MIDDLE DOT, as systemd's own status lines use.
  return fmt::format("{} \u00b7 {} datagram{} from {}{} peer{}", where,
                     with_thousands_separators(datagrams), datagrams == 1 ? "" : "s",
                     peers_lower_bound ? "at least " : "", with_thousands_separators(peers),
                     peers == 1 ? "" : "s");
}

asio::awaitable<void> refresh_status_periodically(service_status* status) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(status_refresh_interval);
    co_await timer.async_wait(asio::use_awaitable);
    status->refresh();
  }
}

asio::awaitable<void> feed_watchdog(service_status* status, std::chrono::microseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    if (!status->alive_ || status->alive_()) status->manager_.send("WATCHDOG=1");
    timer.expires_after(interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

service_status::service_status(notifier& manager, std::function<std::string()> describe,
                               std::function<bool()> alive)
    : manager_(manager), describe_(std::move(describe)), alive_(std::move(alive)) {}

void service_status::start(asio::io_context& io,
                           std::optional<std::chrono::microseconds> watchdog) {
  if (!manager_.enabled()) return;
  refresh();
  asio::co_spawn(io, refresh_status_periodically(this), asio::detached);
  if (watchdog) asio::co_spawn(io, feed_watchdog(this, *watchdog), asio::detached);
}

void service_status::refresh() {
  if (!manager_.enabled()) return;
  auto text = describe_();
  if (text == last_sent_) return;
  if (manager_.send(status_message(text))) last_sent_ = std::move(text);
}

}  // namespace udpecho
