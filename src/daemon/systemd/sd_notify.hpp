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

/// How often to send WATCHDOG=1: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; none
/// when the watchdog is off, the value is not a positive number, or $WATCHDOG_PID names another
/// process.
std::optional<std::chrono::microseconds> watchdog_interval(const char* watchdog_usec,
                                                           const char* watchdog_pid,
                                                           std::int64_t own_pid);

/// Sends notifications to the service manager, if there is one. Failures are logged once and never
/// stop the daemon: it must serve with or without a manager listening.
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

  /// Sends one message; returns whether the manager's socket took it.
  bool send(std::string_view message);

 private:
  std::optional<notify_address> address_;
  int fd_ = -1;
  bool warned_ = false;
};

}  // namespace udpecho
