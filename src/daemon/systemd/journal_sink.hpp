// The journal's native protocol through libsystemd's sd_journal_sendv(): each record carries
// MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and, for a structured event (log_event), its MESSAGE_ID,
// UDPECHO_EVENT and fields.
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/log_event.hpp"

namespace udpecho {

/// The MESSAGE_ID of `kind` (systemd/message_ids.hpp); datagrams have none.
std::optional<std::string_view> message_id(event_kind kind);

/// The record for one line, as "NAME=value" entries in the order sent: MESSAGE, PRIORITY,
/// SYSLOG_IDENTIFIER, then for an event MESSAGE_ID, UDPECHO_EVENT and its fields.
/// Each entry is a field of its own: sd_journal_sendv() sends a value holding a newline in the
/// protocol's binary-safe form, so no value can start another field.
std::vector<std::string> journal_record(spdlog::level::level_enum level, std::string_view message,
                                        const log_event* event);

/// Sends each line to the journal; a record the journal does not take at once is counted and
/// dropped, so that a stalled journald never stalls serving.
class journal_sink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override {}
};

/// Records sd_journal_sendv() refused (journal full, or gone) since the start.
std::uint64_t journal_records_dropped();

}  // namespace udpecho
