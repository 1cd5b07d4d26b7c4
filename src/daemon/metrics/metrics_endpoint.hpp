// The metrics endpoint: a minimal HTTP/1.1 responder for GET /metrics on the daemon's own event
// loop. One request per connection, then the connection is closed.
//
// Bounds, so that no client can hold the daemon: at most `max_connections` at once (a new one
// closes the oldest), a head of at most max_request_head_bytes, and one deadline for the whole
// exchange (request in, reply out), after which the connection is closed whatever its state.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>

#include "daemon/metrics/exposition.hpp"
#include "daemon/metrics/metrics_snapshot.hpp"

namespace udpecho {

struct metrics_limits {
  std::size_t max_connections = 16;
  std::chrono::milliseconds exchange_timeout{3000};
};

/// Gathers the figures for one scrape; called on the endpoint's event loop, once per GET /metrics.
using snapshot_provider = std::function<metrics_snapshot()>;

class metrics_endpoint {
 public:
  metrics_endpoint(asio::io_context& io, snapshot_provider provider, metrics_limits limits = {});
  ~metrics_endpoint();
  metrics_endpoint(const metrics_endpoint&) = delete;
  metrics_endpoint& operator=(const metrics_endpoint&) = delete;

  /// A listening socket on `where`, not yet served; throws std::system_error when it cannot bind.
  /// Opening before serve() lets a reload bind the new address before giving up the old one.
  asio::ip::tcp::acceptor open(const asio::ip::tcp::endpoint& where);

  /// Serves `acceptor` from now on; the previous one, if any, is closed. Connections already
  /// accepted finish within their deadline.
  void serve(asio::ip::tcp::acceptor acceptor);

  /// Stops accepting and closes every connection. Idempotent.
  void close();

  /// Where it listens now; nothing when closed.
  std::optional<asio::ip::tcp::endpoint> local_endpoint() const;

 private:
  struct connection;
  friend asio::awaitable<void> accept_connections(
      metrics_endpoint* self, std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  friend asio::awaitable<void> answer_connection(metrics_endpoint* self,
                                                 std::shared_ptr<connection> peer);
  void admit(std::shared_ptr<connection> peer);
  void forget(const connection* peer);

  asio::io_context& io_;
  snapshot_provider provider_;
  metrics_limits limits_;
  exposition_writer exposition_;
  std::shared_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::list<std::shared_ptr<connection>> connections_;  // oldest first
};

}  // namespace udpecho
