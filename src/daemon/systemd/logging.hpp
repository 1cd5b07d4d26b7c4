// Where udpechod's log goes and how its lines look.
#pragma once

#include <spdlog/common.h>
#include <string>
#include <string_view>

namespace udpecho {

/// The syslog priority journald reads from a "<N>" line prefix, for an spdlog level.
int syslog_priority(spdlog::level::level_enum level);

/// True when stderr is connected to the journal: $JOURNAL_STREAM names stderr's device:inode.
bool stderr_is_journal(std::string_view journal_stream);

/// Makes the default logger write to stderr: "<N>message" lines for the journal, or
/// "time level message" lines elsewhere (coloured on a terminal).
void setup_logging(spdlog::level::level_enum level);

}  // namespace udpecho
