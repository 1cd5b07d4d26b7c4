// The echo itself: a coroutine per socket that receives, logs and replies.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/escape.hpp"
#include "daemon/abuse/abuse_guard.hpp"
#include "daemon/net/datagram_socket.hpp"
#include "daemon/abuse/peer_tally.hpp"
#include "daemon/log_event.hpp"

namespace udpecho {

/// The settings the echo reads per datagram; replaced as a whole on reload.
struct echo_settings {
  std::string reply_prefix;
  std::size_t log_payload_bytes = 64;
  abuse_settings abuse;
  escape_mode log_escape = escape_mode::utf8;
};

struct traffic_counters {
  std::uint64_t datagrams = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t replies = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t oversized_replies = 0;  // prefix + payload over the datagram limit: not sent
  std::uint64_t truncated = 0;          // larger than a receive slot: not answered

  traffic_counters& operator+=(const traffic_counters& other);
};

class echo_service;

/// What the stop summary reports, summed over one or more services (one per worker).
struct summary_totals {
  traffic_counters counters;
  std::size_t peers = 0;
  bool peers_saturated = false;
  socket_error_counters errors;
  drop_counters drops;
  std::size_t rate_table_entries = 0;
  std::size_t rate_table_capacity = 0;

  void add(const echo_service& service);
  /// One line: datagrams, bytes, peers, replies, drops and errors.
  std::string format() const;
  /// Every counter of format() as a field of its own: UDPECHO_DATAGRAMS, ...
  void add_fields(log_event& event) const;
};

class echo_service {
 public:
  explicit echo_service(std::shared_ptr<const echo_settings> settings);

  /// Starts serving a socket on `io`.
  void serve(asio::io_context& io, std::unique_ptr<datagram_socket> socket);

  /// Later datagrams use these settings.
  void update(std::shared_ptr<const echo_settings> settings);

  /// Closes every socket; their coroutines end.
  void stop();

  /// Stops serving the socket bound to `address` (a reload dropped it). It is closed now and freed
  /// when its coroutine has ended; its error counts stay in socket_errors().
  void retire(const asio::ip::address& address);

  /// Where the sockets being served are bound, in the order they were added.
  std::vector<asio::ip::udp::endpoint> endpoints() const;

  const traffic_counters& counters() const { return counters_; }
  const peer_tally& peers() const { return peers_; }
  /// Datagrams not answered by reason (access, loop rules, rate limit); format_drop_status()
  /// turns them into a status line.
  drop_counters drops() const { return guard_.drops(); }
  /// Prefixes the rate limiter tracks now, and at most.
  std::size_t rate_table_entries() const { return guard_.rate_table_entries(); }
  std::size_t rate_table_capacity() const { return guard_.rate_table_capacity(); }
  /// Prefixes being rate-limited now.
  std::size_t rate_limited_prefixes() const { return guard_.rate_limited_prefixes(); }
  /// Send and receive errors summed over the sockets.
  socket_error_counters socket_errors() const;
  /// One line for the log at stop: datagrams, bytes, peers, replies, drops and errors.
  std::string summary() const;

 private:
  friend asio::awaitable<void> serve_datagrams(echo_service* service, datagram_socket* socket);
  friend asio::awaitable<void> maintain_guard(echo_service* service, asio::steady_timer* timer);
  /// Takes the clock reading and the log levels that the datagrams of a new batch share: they
  /// arrived together, and asking for each of them cost more than the rest of the echo.
  void start_batch();
  /// Logs and counts one request to `local`; returns whether it gets a reply.
  bool admit(const datagram& request, const asio::ip::udp::endpoint& local,
             const echo_settings& settings);
  // The lines about a datagram, kept out of admit() so that its common path stays short.
  [[gnu::cold]] void log_request(const datagram& request, const asio::ip::udp::endpoint& local,
                                 const echo_settings& settings);
  [[gnu::cold]] void warn_unanswered(const datagram& request, const asio::ip::udp::endpoint& local,
                                     std::size_t reply_size, std::size_t max_payload);
  /// Frees a socket whose coroutine has ended; returns whether retire() had closed it.
  bool release(const datagram_socket* socket);

  std::shared_ptr<const echo_settings> settings_;
  std::vector<std::unique_ptr<datagram_socket>> sockets_;
  std::vector<datagram_socket*> retired_;  // closed, waiting for their coroutines to end
  socket_error_counters released_errors_;  // of sockets already freed
  traffic_counters counters_;
  peer_tally peers_;
  abuse_guard guard_;
  std::vector<std::uint16_t> own_ports_;
  std::unique_ptr<asio::steady_timer> guard_timer_;
  std::int64_t batch_time_ = 0;  // monotonic nanoseconds, read by start_batch()
  bool log_info_ = true;         // spdlog's level allows info lines (as of start_batch())
  bool log_warn_ = true;
};

}  // namespace udpecho
