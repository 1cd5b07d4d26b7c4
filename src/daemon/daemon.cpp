#include "daemon/daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/endpoint.hpp"
#include "daemon/config.hpp"
#include "daemon/echo_service.hpp"
#include "daemon/log_event.hpp"
#include "daemon/systemd/listen_fds.hpp"
#include "daemon/net/listeners.hpp"
#include "daemon/systemd/journal_sink.hpp"
#include "daemon/systemd/logging.hpp"
#include "daemon/reload.hpp"
#include "daemon/systemd/sd_notify.hpp"
#include "daemon/systemd/service_status.hpp"
#include "daemon/worker_pool.hpp"
#include "udpecho_version.hpp"

namespace udpecho {
namespace {

struct loaded_config {
  config_result result;
  std::string source;  // what the log says the settings came from
};

loaded_config load_config(const daemon_options& options) {
  loaded_config loaded;
  std::error_code ignored;
  if (!options.config_path_given && !std::filesystem::exists(options.config_path, ignored)) {
    loaded.source = fmt::format("built-in defaults ({} does not exist)", options.config_path);
  } else {
    loaded.result = load_config_file(options.config_path);
    loaded.source = options.config_path;
  }
  auto& config = loaded.result.config;
  if (options.bind) config.bind = *options.bind;
  if (options.port) config.port = *options.port;
  if (options.log_level) config.log_level = *options.log_level;
  return loaded;
}

// SIGHUP: re-read the config and apply it; the manager sees RELOADING=1, then READY=1 whatever
// the outcome, since a failed reload leaves the daemon serving as before.
struct hangup_reloader {
  asio::signal_set& hangups;
  const daemon_options& options;
  running_config& running;
  asio::io_context& io;
  echo_service& service;
  worker_pool& extra_workers;
  notifier& manager;
  service_status& status;

  void arm() {
    hangups.async_wait([this](const std::error_code& error, int) {
      if (error) return;
      manager.send(reloading_message(std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now().time_since_epoch())));
      spdlog::info("SIGHUP: reloading the configuration");
      const auto loaded = load_config(options);
      const auto before = service.endpoints();
      if (apply_reload(loaded.result, loaded.source, running, io, service)) {
        extra_workers.update(settings_from(running.config, running.workers));
        if (extra_workers.size() > 0 && service.endpoints() != before) {
          spdlog::warn("bind/port changed: worker 1 serves the new sockets; workers 2-{} keep "
                       "the old ones until udpechod is restarted",
                       extra_workers.size() + 1);
        }
      }
      manager.send("READY=1");
      status.refresh();
      arm();
    });
  }
};

// Opens, for each extra worker, a socket on every endpoint worker 1 serves; the last socket of each
// group gets the program that steers every source to one worker.
void open_worker_sockets(worker_pool& workers,
                         const std::vector<asio::ip::udp::endpoint>& endpoints,
                         const daemon_config& config) {
  std::vector<asio::ip::address> addresses;
  for (const auto& endpoint : endpoints) addresses.push_back(endpoint.address());
  const bool v6_only = wants_v6_only(addresses);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    for (const auto& endpoint : endpoints) {
      auto socket = open_bound_socket(workers.io(i), endpoint.address(), endpoint.port(), v6_only,
                                      true);
      if (i + 1 == workers.size()) {
        // Steer by the rate limiter's prefixes, so that each prefix is limited by one worker.
        steer_sources_to_workers(socket, workers.size() + 1, config.rate_prefix_v4,
                                 config.rate_prefix_v6);
      }
      workers.serve(i, std::make_unique<datagram_socket>(std::move(socket),
                                                         endpoint.address().is_unspecified()));
    }
  }
}

}  // namespace

int run_daemon(const daemon_options& options) {
  auto loaded = load_config(options);
  const auto& config = loaded.result.config;

  if (options.check_config) {
    for (const auto& error : loaded.result.errors) fmt::print(stderr, "{}\n", error);
    if (!loaded.result.ok()) return exit_config;
    fmt::print("{}: configuration OK\n", loaded.source);
    return exit_ok;
  }

  setup_logging(config.log_level, options.log_to);
  if (!loaded.result.ok()) {
    for (const auto& error : loaded.result.errors) spdlog::error("{}", error);
    spdlog::critical("not started: the configuration has {} error{}", loaded.result.errors.size(),
                     loaded.result.errors.size() == 1 ? "" : "s");
    return exit_config;
  }
  log_event(event_kind::start)
      .add("UDPECHO_VERSION", std::string(UDPECHO_VERSION))
      .write(spdlog::level::info, fmt::format("udpechod {} starting; configuration from {}",
                                              UDPECHO_VERSION, loaded.source));

  asio::io_context io(1);
  // Handlers are in place before anything can announce readiness, so an early SIGTERM is a stop
  // and an early SIGHUP a reload rather than the default action, which would end the process.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::signal_set hangups(io, SIGHUP);
  auto manager = notifier::from_environment();
  echo_service service(settings_from(config));
  running_config running{config, false};
  // Worker 1 is this thread: `service` on `io`. Workers 2..N each run their own io_context on a
  // thread of their own, with their own socket per address on the same port (SO_REUSEPORT).
  std::size_t worker_count = resolve_worker_count(config.workers);

  const auto activation = listen_fds_from_environment();
  try {
    if (!activation.ok()) throw std::runtime_error("socket activation: " + activation.error);
    if (activation.count > 0) {
      running.socket_activated = true;
      spdlog::info("socket activation: serving {} socket{} passed by the service manager; bind "
                   "and port in the configuration are ignored",
                   activation.count, activation.count == 1 ? "" : "s");
    }
    auto sockets = running.socket_activated
                       ? adopt_listen_fds(io, activation.count)
                       : bind_sockets(io, config.bind, config.port, worker_count > 1);
    for (auto& socket : sockets) {
      if (running.socket_activated) {
        worker_count = std::min(worker_count,
                                workers_for_inherited_socket(socket.native_handle(), worker_count));
      }
    }
    for (auto& socket : sockets) {
      const auto local = socket.local_endpoint();
      if (running.socket_activated) spdlog::info("listening on {}", format_endpoint(local));
      service.serve(io, std::make_unique<datagram_socket>(std::move(socket),
                                                          local.address().is_unspecified()));
    }
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return exit_socket_error;
  }
  running.workers = static_cast<unsigned>(worker_count);
  if (worker_count > 1) service.update(settings_from(config, running.workers));
  worker_pool extra_workers(worker_count - 1, settings_from(config, running.workers));
  try {
    open_worker_sockets(extra_workers, service.endpoints(), config);
  } catch (const std::system_error& e) {
    spdlog::critical("workers: cannot open their sockets: {}", e.code().message());
    return exit_socket_error;
  }
  extra_workers.start();

  const auto served = service.endpoints().size();
  log_event(event_kind::ready)
      .add("UDPECHO_SOCKETS", std::uint64_t{served})
      .add("UDPECHO_WORKERS", std::uint64_t{worker_count})
      .write(spdlog::level::info,
             fmt::format("ready: serving {} socket{}{}", served, served == 1 ? "" : "s",
                         worker_count > 1 ? fmt::format(" with {} workers", worker_count) : ""));
  manager.send("READY=1");
  service_status status(manager, [&service] {
    auto text = status_text(service.endpoints(), service.counters().datagrams,
                            service.peers().count(), service.peers().saturated());
    const auto drops = service.drops();
    if (drops.denied + drops.loop_total() + drops.rate_limited > 0) {
      text += "; " + format_drop_status(drops);
    }
    return text;
  });
  status.start(io, watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                                     getpid()));
  hangup_reloader reloader{hangups, options, running, io, service, extra_workers, manager, status};
  reloader.arm();
  signals.async_wait([&](const std::error_code& error, int signal_number) {
    if (error) return;
    manager.send("STOPPING=1");
    // After the join, every worker's counters are settled and safe to read from here.
    extra_workers.stop();
    summary_totals totals;
    totals.add(service);
    extra_workers.add_to(totals);
    log_event stopping(event_kind::stop);
    stopping.add("UDPECHO_SIGNAL", std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
    totals.add_fields(stopping);
    // Records the journal did not take are counted where the journal can still be read.
    const auto unsent = journal_records_dropped();
    stopping.add("UDPECHO_JOURNAL_RECORDS_DROPPED", unsent);
    stopping.write(spdlog::level::info,
                   fmt::format("stopping on {}: {}{}",
                               signal_number == SIGINT ? "SIGINT" : "SIGTERM", totals.format(),
                               unsent ? fmt::format("; {} journal records dropped", unsent) : ""));
    for (std::size_t i = 0; i < extra_workers.size(); ++i) {
      if (i == 0) spdlog::info("worker 1 of {}: {}", worker_count, service.summary());
      spdlog::info("worker {} of {}: {}", i + 2, worker_count, extra_workers.summary(i));
    }
    service.stop();
    io.stop();
  });

  io.run();
  return exit_ok;
}

}  // namespace udpecho
