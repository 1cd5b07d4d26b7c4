// What udpechod tells the service manager while it runs: a status line with live counters, and
// watchdog pings from the event loop that serves datagrams.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace udpecho {

class echo_service;
class notifier;

/// 1204 -> "1,204": counters in the status line are read by people.
std::string with_thousands_separators(std::uint64_t value);

/// The status line: "127.0.0.1:5002 · 1,204 datagrams from 3 peers". `peers_lower_bound` marks a
/// count that stopped growing at the tally's capacity.
std::string status_text(const std::vector<asio::ip::udp::endpoint>& endpoints,
                        std::uint64_t datagrams, std::uint64_t peers, bool peers_lower_bound);

/// How often the status line is refreshed.
inline constexpr std::chrono::seconds status_refresh_interval{2};

/// Keeps the manager informed for as long as `io` runs: STATUS= every status_refresh_interval
/// (only when the text changed) and, when `watchdog` has an interval, WATCHDOG=1 at that interval.
/// Both run on `io` itself, so a loop that stops turning stops the pings and gets restarted; so
/// does one whose `alive` says false (the loops of other threads, say).
/// `describe` gives the current status text; `manager` and it must outlive `io`'s run.
class service_status {
 public:
  service_status(notifier& manager, std::function<std::string()> describe,
                 std::function<bool()> alive = {});

  /// Starts the refresh (and watchdog) coroutines on `io`.
  void start(asio::io_context& io, std::optional<std::chrono::microseconds> watchdog);

  /// Sends the status line now, e.g. after the sockets changed.
  void refresh();

 private:
  friend asio::awaitable<void> refresh_status_periodically(service_status* status);
  friend asio::awaitable<void> feed_watchdog(service_status* status,
                                             std::chrono::microseconds interval);

  notifier& manager_;
  std::function<std::string()> describe_;
  std::function<bool()> alive_;
  std::string last_sent_;
};

}  // namespace udpecho
