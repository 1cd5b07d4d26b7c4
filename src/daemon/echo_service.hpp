// The echo itself: a coroutine per socket that receives, logs and replies.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/escape.hpp"
#include "daemon/abuse/abuse_guard.hpp"
#include "daemon/abuse/peer_tally.hpp"
#include "daemon/net/datagram_socket.hpp"

namespace udpecho {

class log_event;

/// The settings the echo reads per datagram; built once per reload and replaced as a whole.
struct echo_settings {
  std::string reply_prefix;
  std::size_t log_payload_bytes = 64;
  abuse_settings abuse;
  std::vector<std::uint16_t> own_ports;  // the ports the daemon listens on now
  escape_mode log_escape = escape_mode::utf8;
};

struct traffic_counters {
  std::uint64_t datagrams = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t replies = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t oversized_replies = 0;  // prefix + payload over the datagram limit: not sent

  traffic_counters& operator+=(const traffic_counters& other);
};

/// Everything one echo_service has counted; summed over the workers for STATUS= and the stop
/// summary. Every datagram is either a reply, an oversized reply or a drop by reason.
struct echo_figures {
  traffic_counters traffic;
  std::uint64_t peers = 0;  // workers see disjoint sources (steered by prefix), so these add up
  bool peers_saturated = false;
  socket_error_counters errors;
  drop_counters drops;
  std::size_t rate_table_entries = 0;
  std::size_t rate_table_capacity = 0;
  std::size_t rate_limited_prefixes = 0;  // being rate-limited now

  echo_figures& operator+=(const echo_figures& other);
  /// One line: datagrams, bytes, peers, replies, drops and errors.
  std::string format() const;
  /// The same as journal fields (UDPECHO_DATAGRAMS, ...).
  void add_fields(log_event& event) const;
};

class echo_service {
 public:
  explicit echo_service(std::shared_ptr<const echo_settings> settings);

  /// Starts serving a socket on `io`; the service owns it until its coroutine ends.
  void serve(asio::io_context& io, std::unique_ptr<datagram_socket> socket);

  /// Later datagrams use these settings.
  void update(std::shared_ptr<const echo_settings> settings);

  /// Winds down the sockets bound to `endpoint` (all of them when null): each answers what it has
  /// read and up to `drain_batches` batches still queued, then its coroutine ends and it is closed
  /// and freed. Its error counts stay in figures().
  /// `closed` runs once they are all closed (at once when there are none).
  /// `hand_over`: see datagram_socket::retire.
  void retire(const asio::ip::udp::endpoint* endpoint, std::size_t drain_batches, bool hand_over,
              std::function<void()> closed = {});

  /// Sockets whose coroutines have not ended yet.
  std::size_t sockets() const { return sockets_.size(); }

  /// Housekeeping, about once a second: see abuse_guard::tick.
  void tick();

  /// What this service has counted so far.
  echo_figures figures() const;

 private:
  friend asio::awaitable<void> serve_datagrams(echo_service* service, datagram_socket* socket);
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
  /// Closes and frees a socket whose coroutine has ended.
  void release(const datagram_socket* socket);

  std::shared_ptr<const echo_settings> settings_;
  std::vector<std::unique_ptr<datagram_socket>> sockets_;
  struct pending_retirement {
    std::optional<asio::ip::udp::endpoint> endpoint;  // none: every socket
    std::function<void()> closed;
  };
  std::vector<pending_retirement> retirements_;
  socket_error_counters released_errors_;  // of sockets already freed
  traffic_counters counters_;
  peer_tally peers_;
  abuse_guard guard_;
  // The last datagram's source, while the next from it may skip the checks of the source
  // (abuse_guard::admit_again), and the facts worked out for it.
  last_peer last_peer_;
  datagram_facts facts_;
  std::int64_t batch_time_ = 0;  // monotonic nanoseconds, read by start_batch()
  bool log_info_ = true;         // spdlog's level allows info lines (as of start_batch())
  bool log_warn_ = true;
};

}  // namespace udpecho
