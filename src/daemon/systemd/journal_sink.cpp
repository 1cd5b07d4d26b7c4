#include "daemon/systemd/journal_sink.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
// Without it, sd_journal_sendv() is a macro that adds CODE_FILE, CODE_LINE and CODE_FUNC of the
// sink itself: the same for every record, so of no use.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "daemon/net/socket_options.hpp"
#include "daemon/systemd/logging.hpp"
#include "daemon/systemd/message_ids.hpp"

namespace udpecho {
namespace {

std::atomic<std::uint64_t> dropped{0};
std::once_flag first_send;

bool is_unix_datagram_socket(int fd) {
  return socket_domain(fd) == AF_UNIX && socket_type(fd) == SOCK_DGRAM;
}

// libsystemd opens its socket on the first send, in blocking mode, and offers no public call to
// change that (its journal_fd_nonblock() is internal). A blocking sendmsg() waits while
// journald's queue is full; a non-blocking one fails with EAGAIN, and sd_journal_sendv() returns
// that error after its memfd fallback fails the same way. socket() takes the lowest free
// descriptor, so one opened and closed just before the first send names the one libsystemd
// opens. The first record is written by the main thread before any worker thread exists.
int send_first(const iovec* entries, int count) {
  const int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) close(probe);
  const int result = sd_journal_sendv(entries, count);
  const bool nonblocking = probe >= 0 && is_unix_datagram_socket(probe) && set_non_blocking(probe);
  if (!nonblocking) {
    sd_journal_send(
        "MESSAGE=journal: could not make libsystemd's socket non-blocking; a full "
        "journal will delay serving",
        "PRIORITY=4", "SYSLOG_IDENTIFIER=udpechod", nullptr);
  }
  return result;
}

}  // namespace

std::optional<std::string_view> message_id(event_kind kind) {
  switch (kind) {
    case event_kind::datagram:
      return std::nullopt;
    case event_kind::drop:
      return message_ids::drop;
    case event_kind::rate_limit_start:
      return message_ids::rate_limit_start;
    case event_kind::rate_limit_stop:
      return message_ids::rate_limit_stop;
    case event_kind::log_suppressed:
      return message_ids::log_suppressed;
    case event_kind::start:
      return message_ids::start;
    case event_kind::ready:
      return message_ids::ready;
    case event_kind::reload:
      return message_ids::reload;
    case event_kind::reload_failed:
      return message_ids::reload_failed;
    case event_kind::stop:
      return message_ids::stop;
  }
  return std::nullopt;
}

std::vector<std::string> journal_record(spdlog::level::level_enum level, std::string_view message,
                                        const log_event* event) {
  std::vector<std::string> record;
  record.reserve(5 + (event ? event->fields().size() : 0));
  record.push_back("MESSAGE=" + std::string(message));
  record.push_back("PRIORITY=" + std::to_string(syslog_priority(level)));
  record.push_back("SYSLOG_IDENTIFIER=udpechod");
  if (event == nullptr) return record;
  if (const auto id = message_id(event->kind())) record.push_back("MESSAGE_ID=" + std::string(*id));
  record.push_back("UDPECHO_EVENT=" + std::string(event_name(event->kind())));
  for (const auto& field : event->fields()) {
    std::string entry(field.name);
    entry += '=';
    entry += field.value;
    record.push_back(std::move(entry));
  }
  return record;
}

void journal_sink::sink_it_(const spdlog::details::log_msg& message) {
  const auto record = journal_record(
      message.level, std::string_view(message.payload.data(), message.payload.size()),
      current_log_event());
  std::vector<iovec> entries;
  entries.reserve(record.size());
  for (const auto& entry : record) {
    entries.push_back({const_cast<char*>(entry.data()), entry.size()});
  }
  const int count = static_cast<int>(entries.size());
  int result = 0;
  bool sent_first = false;
  std::call_once(first_send, [&] {
    result = send_first(entries.data(), count);
    sent_first = true;
  });
  if (!sent_first) result = sd_journal_sendv(entries.data(), count);
  if (result < 0) ++dropped;
}

std::uint64_t journal_records_dropped() {
  return dropped;
}

}  // namespace udpecho
