// Where udpechod's log goes and how its lines look.
#pragma once

#include <spdlog/common.h>
#include <optional>
#include <string>
#include <string_view>

namespace udpecho {

/// The syslog priority journald reads from a "<N>" line prefix, for an spdlog level.
int syslog_priority(spdlog::level::level_enum level);

/// True when stderr is connected to the journal: $JOURNAL_STREAM names stderr's device:inode.
bool stderr_is_journal(std::string_view journal_stream);

/// Where log records go (--log-target): the journal when stderr is connected to it, or always,
/// or always stderr.
enum class log_target { automatic, journal, standard_error };

/// Parses "auto", "journal" or "stderr"; nothing for anything else.
std::optional<log_target> parse_log_target(std::string_view text);

/// Makes the default logger write each record to the journal's native protocol with its fields
/// (journal_sink.hpp) when `target` says so, or else to stderr: "<N>message" lines when stderr
/// is the journal, "time level message" lines elsewhere (coloured on a terminal).
void setup_logging(spdlog::level::level_enum level, log_target target = log_target::automatic);

}  // namespace udpecho
