// SIGHUP: applying a re-read configuration to the running daemon, all or nothing.
#pragma once

#include <asio/io_context.hpp>
#include <memory>
#include <string>

#include "daemon/config.hpp"
#include "daemon/echo_service.hpp"

namespace udpecho {

/// The configuration in force, and whether the sockets came from the service manager.
struct running_config {
  daemon_config config;
  bool socket_activated = false;
  unsigned workers = 1;  // threads serving datagrams; the rate table is shared out among them
};

/// The settings the echo coroutines read, from a configuration.
/// `workers` threads each get an equal share of the rate table (see abuse_settings_from).
std::shared_ptr<const echo_settings> settings_from(const daemon_config& config,
                                                   unsigned workers = 1);

/// Applies `loaded` (read from `source`) to the running daemon: reply_prefix, log_payload_bytes,
/// log_level, and bind/port by rebinding when they changed (ignored under socket activation).
/// When the config has errors or a new address cannot be bound, each reason is logged and nothing
/// changes: the daemon keeps serving with `running` and its sockets. Returns whether it applied.
bool apply_reload(const config_result& loaded, const std::string& source, running_config& running,
                  asio::io_context& io, echo_service& service);

}  // namespace udpecho
