#include "daemon/daemon.hpp"

#include <unistd.h>

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
#include "daemon/listen_fds.hpp"
#include "daemon/listeners.hpp"
#include "daemon/logging.hpp"
#include "daemon/reload.hpp"
#include "daemon/sd_notify.hpp"
#include "daemon/service_status.hpp"
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
  notifier& manager;
  service_status& status;

  void arm() {
    hangups.async_wait([this](const std::error_code& error, int) {
      if (error) return;
      manager.send(reloading_message(std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now().time_since_epoch())));
      spdlog::info("SIGHUP: reloading the configuration");
      const auto loaded = load_config(options);
      apply_reload(loaded.result, loaded.source, running, io, service);
      manager.send("READY=1");
      status.refresh();
      arm();
    });
  }
};

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

  setup_logging(config.log_level);
  if (!loaded.result.ok()) {
    for (const auto& error : loaded.result.errors) spdlog::error("{}", error);
    spdlog::critical("not started: the configuration has {} error{}", loaded.result.errors.size(),
                     loaded.result.errors.size() == 1 ? "" : "s");
    return exit_config;
  }
  spdlog::info("udpechod {} starting; configuration from {}", UDPECHO_VERSION, loaded.source);

  asio::io_context io(1);
  // Handlers are in place before anything can announce readiness, so an early SIGTERM is a stop
  // and an early SIGHUP a reload rather than the default action, which would end the process.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::signal_set hangups(io, SIGHUP);
  auto manager = notifier::from_environment();
  echo_service service(settings_from(config));
  running_config running{config, false};

  const auto activation = listen_fds_from_environment();
  try {
    if (!activation.ok()) throw std::runtime_error("socket activation: " + activation.error);
    if (activation.count > 0) {
      running.socket_activated = true;
      spdlog::info("socket activation: serving {} socket{} passed by the service manager; bind "
                   "and port in the configuration are ignored",
                   activation.count, activation.count == 1 ? "" : "s");
    }
    auto sockets = running.socket_activated ? adopt_listen_fds(io, activation.count)
                                            : bind_sockets(io, config.bind, config.port);
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

  const auto served = service.endpoints().size();
  spdlog::info("ready: serving {} socket{}", served, served == 1 ? "" : "s");
  manager.send("READY=1");
  service_status status(manager, [&service] {
    return status_text(service.endpoints(), service.counters().datagrams,
                       service.peers().count(), service.peers().saturated());
  });
  status.start(io, watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                                     getpid()));
  hangup_reloader reloader{hangups, options, running, io, service, manager, status};
  reloader.arm();
  signals.async_wait([&](const std::error_code& error, int signal_number) {
    if (error) return;
    manager.send("STOPPING=1");
    spdlog::info("stopping on {}: {}", signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                 service.summary());
    service.stop();
    io.stop();
  });

  io.run();
  return exit_ok;
}

}  // namespace udpecho
