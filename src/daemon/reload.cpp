#include "daemon/reload.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/endpoint.hpp"
#include "daemon/log_event.hpp"
#include "daemon/net/listeners.hpp"

namespace udpecho {
namespace {

std::string plural(std::size_t count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

}  // namespace

std::shared_ptr<const echo_settings> settings_from(const daemon_config& config, unsigned workers) {
  return std::make_shared<const echo_settings>(echo_settings{
      config.reply_prefix, config.log_payload_bytes, abuse_settings_from(config, workers)});
}

bool apply_reload(const config_result& loaded, const std::string& source, running_config& running,
                  asio::io_context& io, echo_service& service) {
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) spdlog::error("{}", error);
    log_event(event_kind::reload_failed)
        .add("UDPECHO_ERRORS", std::uint64_t{loaded.errors.size()})
        .write(spdlog::level::err,
               fmt::format("reload failed: {} has {}; still serving with the previous "
                           "configuration",
                           source, plural(loaded.errors.size(), "error")));
    return false;
  }
  const auto& next = loaded.config;

  if (running.socket_activated) {
    const auto plan = plan_rebind(running.config.bind, running.config.port, next.bind, next.port);
    if (plan.changed) {
      spdlog::info(
          "reload: bind and port ignored; the sockets come from the service manager "
          "(socket activation)");
    }
  } else {
    const auto plan = plan_rebind(running.config.bind, running.config.port, next.bind, next.port);
    if (plan.changed) {
      // Bind everything new before closing anything old: a failure leaves the daemon as it was.
      std::vector<asio::ip::udp::socket> opened;
      try {
        // A kept socket means the port did not change, so the new ones share it.
        opened = bind_sockets(io, plan.open, next.port);
      } catch (const bind_error& e) {
        log_event(event_kind::reload_failed)
            .write(spdlog::level::err,
                   fmt::format("reload failed: {}; still serving with the previous configuration",
                               e.what()));
        return false;
      }
      for (const auto& address : plan.close) {
        for (const auto& endpoint : service.endpoints()) {
          if (endpoint.address() == address) {
            spdlog::info("stopped listening on {}", format_endpoint(endpoint));
          }
        }
        service.retire(address);
      }
      for (auto& socket : opened) {
        const bool wildcard = socket.local_endpoint().address().is_unspecified();
        service.serve(io, std::make_unique<datagram_socket>(std::move(socket), wildcard));
      }
    }
  }

  service.update(settings_from(next, running.workers));
  // Said at info under whichever of the two levels shows it, so a reload to a quieter level is
  // still confirmed.
  const auto summary =
      fmt::format("reloaded {}: serving {}", source, plural(service.endpoints().size(), "socket"));
  const auto reloaded = log_event(event_kind::reload)
                            .add("UDPECHO_SOCKETS", std::uint64_t{service.endpoints().size()});
  if (next.log_level > spdlog::level::info) reloaded.write(spdlog::level::info, summary);
  spdlog::default_logger()->set_level(next.log_level);
  if (next.log_level <= spdlog::level::info) reloaded.write(spdlog::level::info, summary);
  const auto bind = running.config.bind;
  const auto port = running.config.port;
  running.config = next;
  if (running.socket_activated) {
    running.config.bind = bind;  // still what the sockets are, for the next comparison
    running.config.port = port;
  }
  return true;
}

}  // namespace udpecho
