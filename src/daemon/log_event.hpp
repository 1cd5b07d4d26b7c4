// Structured log events: what happened (the kind) and its facts as named fields, written with the
// line that says it. The journal keeps the fields (journalctl UDPECHO_PEER_ADDRESS=...); the human
// format on stderr shows only the line.
//
// Call sites decide whether a line is logged first and build the event only then, so that a
// datagram whose line is not logged costs nothing here.
#pragma once

#include <spdlog/common.h>
#include <spdlog/logger.h>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpecho {

enum class event_kind {
  datagram,
  drop,
  rate_limit_start,
  rate_limit_stop,
  log_suppressed,
  start,
  ready,
  reload,
  reload_failed,
  stop,
};

/// The value of UDPECHO_EVENT: "datagram", "rate_limit_start", ...
std::string_view event_name(event_kind kind);

/// Field names, fixed: admins' scripts and the tests rely on them.
namespace fields {
inline constexpr std::string_view peer_address = "UDPECHO_PEER_ADDRESS";
inline constexpr std::string_view peer_port = "UDPECHO_PEER_PORT";
inline constexpr std::string_view local_address = "UDPECHO_LOCAL_ADDRESS";
inline constexpr std::string_view local_port = "UDPECHO_LOCAL_PORT";
inline constexpr std::string_view bytes = "UDPECHO_BYTES";
inline constexpr std::string_view drop_reason = "UDPECHO_DROP_REASON";
inline constexpr std::string_view prefix = "UDPECHO_PREFIX";
inline constexpr std::string_view dropped = "UDPECHO_DROPPED";
inline constexpr std::string_view suppressed = "UDPECHO_SUPPRESSED";
}  // namespace fields

struct log_field {
  std::string_view name;  // one of fields:: or another UDPECHO_ constant: never built at runtime
  std::string value;
};

class log_event {
 public:
  explicit log_event(event_kind kind) : kind_(kind) {}

  log_event& add(std::string_view name, std::string value);
  log_event& add(std::string_view name, std::uint64_t value);
  /// UDPECHO_PEER_ADDRESS (IPv4-mapped addresses as plain IPv4) and UDPECHO_PEER_PORT.
  log_event& add_peer(const asio::ip::udp::endpoint& peer);
  /// UDPECHO_LOCAL_ADDRESS and UDPECHO_LOCAL_PORT: where the datagram was sent to.
  log_event& add_local(const asio::ip::address& address, std::uint16_t port);

  event_kind kind() const { return kind_; }
  const std::vector<log_field>& fields() const { return fields_; }

  /// Writes `line` (already escaped where it holds untrusted bytes) at `level`, with this event's
  /// fields for the sinks that keep them.
  void write(spdlog::level::level_enum level, std::string_view line) const;
  /// The same through `logger` (one with the default logger's sinks and a level of its own).
  void write(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view line) const;

 private:
  event_kind kind_;
  std::vector<log_field> fields_;
};

/// A datagram's line: UDPECHO_EVENT=datagram with peer, local address and port, and UDPECHO_BYTES.
log_event datagram_event(const asio::ip::udp::endpoint& peer,
                         const asio::ip::address& local_address, std::uint16_t local_port,
                         std::size_t bytes);

/// A datagram not answered: UDPECHO_EVENT=drop, UDPECHO_DROP_REASON=`reason` (denied,
/// loop_low_port, ..., rate_limited, oversized) and the peer; the local address when known.
log_event drop_event(std::string_view reason, const asio::ip::udp::endpoint& peer,
                     const std::optional<asio::ip::address>& local_address);

/// The event being written on this thread, for a sink to read its fields; null while a plain
/// line (spdlog::info(...)) is written.
const log_event* current_log_event();

}  // namespace udpecho
