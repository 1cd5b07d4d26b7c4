// The metrics endpoint of the running daemon: what a scrape reads, and how start and reload move
// the endpoint. The one place that ties src/daemon/metrics/ to the server and its workers.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>

#include "daemon/config.hpp"
#include "daemon/metrics/metrics_endpoint.hpp"

namespace udpecho {

class server;

class daemon_metrics {
 public:
  /// Serves on `io` (the control thread's) and reads `daemon`'s summed figures at scrape time,
  /// each worker's taken on its own thread: the datagram path keeps its plain per-worker counters
  /// and pays nothing.
  daemon_metrics(asio::io_context& io, server& daemon);

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
  metrics_snapshot gather() const;
  void log_serving() const;

  server& daemon_;
  double start_time_seconds_;
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_failed_ = 0;
  std::optional<listen_address> current_;
  std::optional<listen_address> next_;
  std::optional<asio::ip::tcp::acceptor> prepared_;
  metrics_endpoint endpoint_;
};

}  // namespace udpecho
