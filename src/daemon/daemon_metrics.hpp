// The metrics endpoint of the running daemon: what a scrape reads, and how start and reload move
// the endpoint. The one place that ties src/daemon/metrics/ to the daemon's services and workers.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>

#include "daemon/config.hpp"
#include "daemon/metrics/metrics_endpoint.hpp"

namespace udpecho {

class echo_service;
class worker_pool;

class daemon_metrics {
 public:
  /// Reads worker 1 (`service`, served on `io`) and `workers` 2..N, each on its own thread, at
  /// scrape time: the datagram path keeps its plain per-worker counters and pays nothing.
  daemon_metrics(asio::io_context& io, const echo_service& service, worker_pool& workers);

  /// Serves `where` when set; throws std::system_error when it cannot bind.
  void start(const std::optional<listen_address>& where);

  /// Before a reload applies `next`: binds it if it changed. False, with the reason logged, when
  /// it cannot; the reload then fails and the endpoint stays as it was.
  bool prepare_reload(const std::optional<listen_address>& next);
  /// After the reload: when `applied`, the prepared address is served (or the endpoint closed);
  /// either way the reload is counted in udpechod_reloads_total.
  void finish_reload(bool applied);

  /// Closes the endpoint, before the workers stop.
  void stop() { endpoint_.close(); }

 private:
  asio::awaitable<metrics_snapshot> gather() const;
  void log_serving() const;

  const echo_service& service_;
  worker_pool& workers_;
  double start_time_seconds_;
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_failed_ = 0;
  std::optional<listen_address> current_;
  std::optional<listen_address> next_;
  bool changing_ = false;
  std::optional<asio::ip::tcp::acceptor> prepared_;
  metrics_endpoint endpoint_;
};

}  // namespace udpecho
