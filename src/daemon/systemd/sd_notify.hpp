// The service manager's notify protocol (sd_notify(3)), written by hand: one datagram of
// newline-separated KEY=VALUE assignments to the AF_UNIX socket named by $NOTIFY_SOCKET.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace udpecho {

/// Where notifications go: a socket address and the length to pass to sendto().
struct notify_address {
  sockaddr_un address{};
  socklen_t length = 0;
};

/// Parses $NOTIFY_SOCKET. A leading '@' names the abstract namespace: the address then starts with
/// a NUL byte and its length is offsetof(sun_path) + the name's length, since every byte of it
/// counts. An absolute path is a file-system socket. Anything else (empty, relative, too long) has
/// no address, and `reason` says why.
std::optional<notify_address> parse_notify_socket(std::string_view value, std::string& reason);

/// The status line shown by `systemctl status`: "STATUS=text". Line breaks would start a new
/// assignment, so they become spaces.
std::string status_message(std::string_view text);

/// "RELOADING=1" with the CLOCK_MONOTONIC time of the reload request, as newer managers expect.
std::string reloading_message(std::chrono::microseconds monotonic_now);

/// The largest $WATCHDOG_USEC taken (a year): anything above is nonsense, and a value near the
/// 64-bit limit would overflow the timer into a busy loop.
inline constexpr std::int64_t max_watchdog_usec = 365LL * 24 * 3600 * 1'000'000;

/// How often to send WATCHDOG=1: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; none
/// when the watchdog is off, the value is not a number from 1 to max_watchdog_usec, or
/// $WATCHDOG_PID names another process. A value that is set but malformed or out of range (the
/// usec, or a pid that is no number) also sets `warning`, when given, to one line saying so.
std::optional<std::chrono::microseconds> watchdog_interval(const char* watchdog_usec,
                                                           const char* watchdog_pid,
                                                           std::int64_t own_pid,
                                                           std::string* warning = nullptr);

/// watchdog_interval() of $WATCHDOG_USEC and $WATCHDOG_PID; logs its warning, if any.
std::optional<std::chrono::microseconds> watchdog_from_environment(std::int64_t own_pid);

/// Sends notifications to the service manager, if there is one. Sending never blocks: a message
/// the manager's socket does not take at once is dropped and counted. Failures are logged once
/// and never stop the daemon: it must serve with or without a manager listening.
class notifier {
 public:
  /// No manager: every send() is a no-op.
  notifier() = default;
  /// Sends to `address`.
  explicit notifier(notify_address address);
  ~notifier();
  notifier(const notifier&) = delete;
  notifier& operator=(const notifier&) = delete;

  /// Reads $NOTIFY_SOCKET; logs a warning when it is set but unusable.
  static notifier from_environment();

  bool enabled() const { return address_.has_value(); }

  /// Sends one message without waiting; returns whether the manager's socket took it.
  bool send(std::string_view message);

  /// Messages not taken, since the start.
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::optional<notify_address> address_;
  int fd_ = -1;
  bool warned_ = false;
  std::uint64_t dropped_ = 0;
};

}  // namespace udpecho
