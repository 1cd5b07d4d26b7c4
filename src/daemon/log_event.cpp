#include "daemon/log_event.hpp"

#include <spdlog/spdlog.h>

#include "common/endpoint.hpp"

namespace udpecho {
namespace {

// Set only for the duration of write(): spdlog's sinks run synchronously on the writing thread.
thread_local const log_event* current_event = nullptr;

}  // namespace

std::string_view event_name(event_kind kind) {
  switch (kind) {
    case event_kind::datagram:
      return "datagram";
    case event_kind::drop:
      return "drop";
    case event_kind::rate_limit_start:
      return "rate_limit_start";
    case event_kind::rate_limit_stop:
      return "rate_limit_stop";
    case event_kind::log_suppressed:
      return "log_suppressed";
    case event_kind::start:
      return "start";
    case event_kind::ready:
      return "ready";
    case event_kind::reload:
      return "reload";
    case event_kind::reload_failed:
      return "reload_failed";
    case event_kind::stop:
      return "stop";
  }
  return "unknown";
}

log_event& log_event::add(std::string_view name, std::string value) {
  fields_.push_back({name, std::move(value)});
  return *this;
}

log_event& log_event::add(std::string_view name, std::uint64_t value) {
  return add(name, std::to_string(value));
}

log_event& log_event::add_peer(const asio::ip::udp::endpoint& peer) {
  add(fields::peer_address, format_address(peer.address()));
  return add(fields::peer_port, std::uint64_t{peer.port()});
}

log_event& log_event::add_local(const asio::ip::address& address, std::uint16_t port) {
  add(fields::local_address, format_address(address));
  return add(fields::local_port, std::uint64_t{port});
}

log_event datagram_event(const asio::ip::udp::endpoint& peer,
                         const asio::ip::address& local_address, std::uint16_t local_port,
                         std::size_t bytes) {
  log_event event(event_kind::datagram);
  event.add_peer(peer)
      .add_local(local_address, local_port)
      .add(fields::bytes, std::uint64_t{bytes});
  return event;
}

log_event drop_event(std::string_view reason, const asio::ip::udp::endpoint& peer,
                     const std::optional<asio::ip::address>& local_address) {
  log_event event(event_kind::drop);
  event.add(fields::drop_reason, std::string(reason)).add_peer(peer);
  if (local_address) event.add(fields::local_address, format_address(*local_address));
  return event;
}

void log_event::write(spdlog::level::level_enum level, std::string_view line) const {
  write(*spdlog::default_logger_raw(), level, line);
}

void log_event::write(spdlog::logger& logger, spdlog::level::level_enum level,
                      std::string_view line) const {
  const log_event* outer = current_event;
  current_event = this;
  logger.log(level, spdlog::string_view_t(line.data(), line.size()));
  current_event = outer;
}

const log_event* current_log_event() {
  return current_event;
}

}  // namespace udpecho
