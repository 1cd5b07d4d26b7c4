#include "daemon/daemon.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>

#include "common/endpoint.hpp"
#include "common/text.hpp"
#include "daemon/config_source.hpp"
#include "daemon/daemon_metrics.hpp"
#include "daemon/log_event.hpp"
#include "daemon/server.hpp"
#include "daemon/systemd/logging.hpp"
#include "daemon/systemd/sd_notify.hpp"
#include "daemon/systemd/service_status.hpp"
#include "udpecho_version.hpp"

namespace udpecho {
namespace {

int check_config(const loaded_config& loaded) {
  for (const auto& error : loaded.result.errors) fmt::print(stderr, "{}\n", error);
  if (!loaded.result.ok()) return exit_config;
  fmt::print("{}: configuration OK\n", loaded.source);
  return exit_ok;
}

// Runs `action` on every delivery of one of `signals`' signals.
void on_each_signal(asio::signal_set& signals, std::function<void(int)> action) {
  signals.async_wait([&signals, action](const std::error_code& error, int signal_number) {
    if (error) return;
    action(signal_number);
    on_each_signal(signals, action);
  });
}

int refuse_to_start(const config_result& result) {
  for (const auto& error : result.errors) spdlog::error("{}", error);
  spdlog::critical("not started: the configuration has {}", plural(result.total_errors(), "error"));
  return exit_config;
}

void announce_ready(const server& daemon, notifier& manager) {
  const auto sockets = daemon.sockets();
  const auto workers = daemon.workers();
  log_event(event_kind::ready)
      .add("UDPECHO_SOCKETS", std::uint64_t{sockets})
      .add("UDPECHO_WORKERS", std::uint64_t{workers})
      .write(spdlog::level::info,
             fmt::format("ready: serving {}{}", plural(sockets, "socket"),
                         workers > 1 ? fmt::format(" with {} workers", workers) : ""));
  manager.send("READY=1");
}

std::chrono::microseconds monotonic_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace

int run_daemon(const daemon_options& options) {
  const auto loaded = load_config(options, false);
  if (options.check_config) return check_config(loaded);
  setup_logging(loaded.result.config.log_level, options.log_to);
  if (!loaded.result.ok()) return refuse_to_start(loaded.result);
  log_event(event_kind::start)
      .add("UDPECHO_VERSION", std::string(UDPECHO_VERSION))
      .write(spdlog::level::info, fmt::format("udpechod {} starting; configuration from {}",
                                              UDPECHO_VERSION, loaded.source));

  // The workers serve datagrams; this thread handles signals and talks to the service manager.
  // The handlers are in place before anything can announce readiness, so an early SIGTERM is a
  // stop and an early SIGHUP a reload rather than the default action, which would end the process.
  asio::io_context control(1);
  asio::signal_set stops(control, SIGINT, SIGTERM);
  asio::signal_set hangups(control, SIGHUP);
  auto manager = notifier::from_environment();
  server daemon;
  try {
    daemon.start(loaded.result.config);
  } catch (const startup_error& e) {
    spdlog::critical("{}", e.what());
    return exit_socket_error;
  }
  daemon_metrics metrics(control, daemon);
  try {
    metrics.start(loaded.result.config.metrics_listen);
  } catch (const std::system_error& e) {
    const auto& where = *loaded.result.config.metrics_listen;
    spdlog::critical("metrics_listen {}: {}", format_endpoint(where.address, where.port),
                     e.code().message());
    return exit_socket_error;
  }
  announce_ready(daemon, manager);
  // The watchdog pings from this thread while every worker's loop turns: a stuck one is restarted.
  service_status status(
      manager, [&daemon] { return daemon.status(); },
      [&daemon] { return daemon.workers_turning(std::chrono::seconds(5)); });
  status.start(control, watchdog_from_environment(getpid()));

  // SIGHUP: the manager sees RELOADING=1, then READY=1 whatever the outcome, since a failed
  // reload leaves the daemon serving as before.
  on_each_signal(hangups, [&](int) {
    manager.send(reloading_message(monotonic_now()));
    spdlog::info("SIGHUP: reloading the configuration");
    const auto reloaded = load_config(options, loaded.from_file);
    daemon.reload(reloaded.result, reloaded.source, metrics);
    manager.send("READY=1");
    status.refresh();
  });
  stops.async_wait([&](const std::error_code& error, int signal_number) {
    if (error) return;
    manager.send("STOPPING=1");
    metrics.stop();
    daemon.stop(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    control.stop();
  });
  control.run();
  return exit_ok;
}

}  // namespace udpecho
