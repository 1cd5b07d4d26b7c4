// The running daemon: one owner for the workers, their sockets and the configuration in force,
// with start, reload and stop. Everything here runs on the control thread (signals, status);
// the workers only ever get posted work.
#pragma once

#include <spdlog/common.h>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/echo_service.hpp"
#include "daemon/net/listeners.hpp"
#include "daemon/worker.hpp"

namespace udpecho {

class daemon_metrics;

/// Startup could not open or adopt the sockets; what() says why.
class startup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class server {
 public:
  server() = default;
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds the configured addresses (or takes the sockets the service manager passed), opens one
  /// socket per address for each worker and starts the workers. Throws startup_error.
  void start(const daemon_config& config);

  /// Applies a re-read configuration to every worker: settings, log level, `workers` (threads are
  /// started or stopped) and bind/port (new sockets are bound before the old ones are retired).
  /// All or nothing: on an error each reason is logged and the daemon serves on as before. A moved
  /// metrics_listen is bound first, so that a failed bind fails the whole reload; `metrics`
  /// counts each reload, applied or not. No exception escapes. Returns whether it applied.
  bool reload(const config_result& loaded, const std::string& source, daemon_metrics& metrics);

  /// Stops every worker after it has answered what it read, then logs the summary, naming
  /// `signal_name` (and each worker's share when there are several).
  void stop(const char* signal_name);

  /// What all workers have counted, summed (including workers a reload stopped): each worker's
  /// part is at most about a second old. Safe to call from the control thread at any time.
  echo_figures figures() const;
  /// Has every worker publish its figures now (each on its own thread, waited for), so that the
  /// next figures() is exact: a metrics scrape then agrees with the stop summary.
  void refresh_figures();

  /// Whether every worker's loop has turned within `limit`: the watchdog pings only then.
  bool workers_turning(std::chrono::seconds limit) const;

  /// The line for STATUS=: where it listens and figures().
  std::string status() const;

  std::size_t workers() const { return workers_.size(); }
  std::size_t sockets() const { return listeners_.size(); }

 private:
  /// One address:port the daemon listens on; each worker has its own socket there.
  struct listener {
    asio::ip::udp::endpoint endpoint;
    bool v6_only = false;
  };
  /// A socket bound for a worker but not yet handed to it, in bind order.
  struct opened_socket {
    std::size_t worker;  // index into workers_
    listener where;
    asio::ip::udp::socket socket;
  };
  using opened_sockets = std::vector<opened_socket>;

  /// Takes the manager's sockets for worker 1; lowers `worker_count` to 1 when they cannot be
  /// shared. Throws std::runtime_error.
  void adopt_inherited_sockets(int count, std::size_t& worker_count, opened_sockets& opened);
  /// Binds `addresses` on `port` for the workers [0, worker_count); with port 0 the kernel picks
  /// one for the first and the others share it. Throws bind_error.
  std::vector<listener> bind_listeners(const std::vector<asio::ip::address>& addresses,
                                       std::uint16_t port, bool v6_only, std::size_t worker_count,
                                       opened_sockets& opened);
  /// Gives workers [first_worker, end) a socket on each of `listeners`. Throws bind_error.
  void bind_for_workers(const std::vector<listener>& listeners, std::size_t first_worker,
                        opened_sockets& opened);
  /// Attaches the steering program for `count` workers to the group of each listener that got
  /// new sockets and, when `kept_groups_too`, to the others as well.
  static void steer(const std::vector<listener>& listeners, opened_sockets& opened,
                    std::size_t count, const daemon_config& config, bool kept_groups_too);
  /// The settings every worker gets, built once per start or reload.
  static std::shared_ptr<const echo_settings> settings_for(const daemon_config& config,
                                                           std::size_t worker_count,
                                                           const std::vector<listener>& listeners);
  /// Hands the opened sockets to their workers.
  void hand_over(opened_sockets& opened);

  /// reload() without the metrics endpoint and without its guard against exceptions.
  bool apply(const config_result& loaded, const std::string& source);
  // The steps of apply(), in order.
  /// The config to apply, or none when it has errors (each logged).
  std::optional<daemon_config> accept(const config_result& loaded, const std::string& source) const;
  /// `workers` of `config`, at most what the sockets allow.
  std::size_t worker_count_for(const daemon_config& config) const;
  /// Binds the addresses a reload adds (checking a new port is free first). Throws bind_error.
  std::vector<listener> bind_new_addresses(const rebind_plan& plan, const daemon_config& next,
                                           std::size_t worker_count, opened_sockets& opened);
  void stop_workers_beyond(std::size_t count);
  /// New settings to every worker, retires the `closed` listeners' sockets, serves the opened
  /// ones and starts workers from `first_new_worker` on; waits until the retired ones are closed.
  void switch_sockets(const std::shared_ptr<const echo_settings>& settings,
                      const std::vector<listener>& closed, opened_sockets& opened,
                      std::size_t first_new_worker);
  void keep_in_bind_order(const std::vector<asio::ip::address>& bind,
                          const std::vector<listener>& listeners);
  /// Applies the log level and logs "reloaded SOURCE: serving N sockets".
  void confirm_reload(const std::string& source, spdlog::level::level_enum level) const;

  daemon_config config_;  // in force; under socket activation, bind/port as configured at start
  bool socket_activated_ = false;
  std::size_t max_workers_ = max_workers;  // 1 when the manager's socket lacks SO_REUSEPORT
  std::vector<listener> listeners_;
  std::vector<std::unique_ptr<worker>> workers_;
  echo_figures stopped_workers_;  // figures of workers a reload has stopped
};

}  // namespace udpecho
