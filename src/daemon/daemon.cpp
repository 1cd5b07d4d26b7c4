#include "daemon/daemon.hpp"

#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/endpoint.hpp"
#include "daemon/config.hpp"
#include "daemon/echo_service.hpp"
#include "daemon/logging.hpp"
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

std::shared_ptr<const echo_settings> settings_from(const daemon_config& config) {
  return std::make_shared<const echo_settings>(
      echo_settings{config.reply_prefix, config.log_payload_bytes});
}

// "::" takes IPv4 as well, unless an IPv4 address is also configured: both would then claim the
// same IPv4 port, and the second bind would fail.
bool wants_v6_only(const std::vector<asio::ip::address>& bind) {
  for (const auto& address : bind) {
    if (address.is_v4()) return true;
  }
  return false;
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

  setup_logging(config.log_level);
  if (!loaded.result.ok()) {
    for (const auto& error : loaded.result.errors) spdlog::error("{}", error);
    spdlog::critical("not started: the configuration has {} error{}", loaded.result.errors.size(),
                     loaded.result.errors.size() == 1 ? "" : "s");
    return exit_config;
  }
  spdlog::info("udpechod {} starting; configuration from {}", UDPECHO_VERSION, loaded.source);

  asio::io_context io(1);
  // Handlers are in place before anything can announce readiness, so an early SIGTERM is a stop.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  echo_service service(settings_from(config));
  const bool v6_only = wants_v6_only(config.bind);
  std::uint16_t port = config.port;
  for (const auto& address : config.bind) {
    try {
      auto socket = open_bound_socket(io, address, port, v6_only);
      const auto local = socket.local_endpoint();
      if (port == 0) {
        // Every address shares the port the kernel picked for the first one.
        port = local.port();
        spdlog::info("port 0: the kernel chose port {}", port);
      }
      service.serve(io, std::make_unique<datagram_socket>(std::move(socket),
                                                          address.is_unspecified()));
      spdlog::info("listening on {}", format_endpoint(local));
    } catch (const std::system_error& e) {
      spdlog::critical("cannot listen on {}: {}", format_endpoint(address, port),
                       e.code().message());
      return exit_socket_error;
    }
  }

  spdlog::info("ready: serving {} socket{}", config.bind.size(), config.bind.size() == 1 ? "" : "s");
  signals.async_wait([&](const std::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("stopping on {}: {}", signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                 service.summary());
    service.stop();
    io.stop();
  });

  io.run();
  return exit_ok;
}

}  // namespace udpecho
