#include "daemon/systemd/sd_notify.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "common/text.hpp"

namespace udpecho {
namespace {

std::optional<std::int64_t> parse_positive(const char* text) {
  if (text == nullptr) return std::nullopt;
  return parse_number<std::int64_t>(text, 1, INT64_MAX);
}

}  // namespace

std::optional<notify_address> parse_notify_socket(std::string_view value, std::string& reason) {
  notify_address result;
  result.address.sun_family = AF_UNIX;
  const bool abstract = !value.empty() && value.front() == '@';
  if (value.empty()) {
    reason = "it is empty";
    return std::nullopt;
  }
  if (!abstract && value.front() != '/') {
    reason = fmt::format("{} is neither an absolute path nor an abstract '@' name", quoted(value));
    return std::nullopt;
  }
  if (value.size() > sizeof result.address.sun_path) {
    reason = fmt::format("{} is longer than a socket address can be ({} bytes)", quoted(value),
                         sizeof result.address.sun_path);
    return std::nullopt;
  }
  std::memcpy(result.address.sun_path, value.data(), value.size());
  if (abstract) result.address.sun_path[0] = '\0';
  result.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size());
  return result;
}

std::string status_message(std::string_view text) {
  std::string message = "STATUS=";
  for (const char c : text) message += (c == '\n' || c == '\r') ? ' ' : c;
  return message;
}

std::string reloading_message(std::chrono::microseconds monotonic_now) {
  return fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_now.count());
}

std::optional<std::chrono::microseconds> watchdog_interval(const char* watchdog_usec,
                                                           const char* watchdog_pid,
                                                           std::int64_t own_pid,
                                                           std::string* warning) {
  if (watchdog_usec == nullptr || *watchdog_usec == '\0') return std::nullopt;
  const auto usec = parse_positive(watchdog_usec);
  if (!usec || *usec > max_watchdog_usec) {
    if (warning != nullptr) {
      *warning = fmt::format("WATCHDOG_USEC={} ignored: not a number of microseconds from 1 to {}",
                             quoted(watchdog_usec), max_watchdog_usec);
    }
    return std::nullopt;
  }
  if (watchdog_pid != nullptr && *watchdog_pid != '\0') {
    const auto pid = parse_positive(watchdog_pid);
    if (!pid && warning != nullptr) {
      *warning = fmt::format("WATCHDOG_PID={} ignored, and the watchdog with it: not a process ID",
                             quoted(watchdog_pid));
    }
    if (!pid || *pid != own_pid) return std::nullopt;
  }
  // A 1 µs watchdog still gets a ping interval the timer can express.
  return std::chrono::microseconds(*usec / 2 > 0 ? *usec / 2 : 1);
}

std::optional<std::chrono::microseconds> watchdog_from_environment(std::int64_t own_pid) {
  std::string warning;
  auto interval = watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                                    own_pid, &warning);
  if (!warning.empty()) spdlog::warn("{}", warning);
  return interval;
}

notifier::notifier(notify_address address) : address_(address) {}

notifier::~notifier() {
  if (fd_ >= 0) ::close(fd_);
  if (dropped_ > 0) {
    spdlog::warn("{} to the service manager dropped in all", plural(dropped_, "message"));
  }
}

notifier notifier::from_environment() {
  const char* value = std::getenv("NOTIFY_SOCKET");
  if (value == nullptr) return notifier();
  std::string reason;
  auto address = parse_notify_socket(value, reason);
  if (!address) {
    spdlog::warn("NOTIFY_SOCKET ignored: {}", reason);
    return notifier();
  }
  return notifier(*address);
}

bool notifier::send(std::string_view message) {
  if (!address_) return false;
  if (fd_ < 0) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  }
  ssize_t sent = -1;
  if (fd_ >= 0) {
    const auto* address = reinterpret_cast<const sockaddr*>(&address_->address);
    // MSG_NOSIGNAL: a vanished manager must not kill us with SIGPIPE. MSG_DONTWAIT: a manager
    // that does not read must not stop us serving; its message is dropped instead.
    sent = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT, address,
                    address_->length);
  }
  if (sent < 0) {
    const int error = errno;
    ++dropped_;
    if (!warned_) {
      warned_ = true;
      spdlog::warn(
          "cannot notify the service manager: {}; this and later messages it does not "
          "take are dropped",
          std::error_code(error, std::generic_category()).message());
    }
    return false;
  }
  return true;
}

}  // namespace udpecho
