// The names of the reasons a datagram goes unanswered, as the journal field UDPECHO_DROP_REASON
// and the reason label of udpechod_dropped_total give them. Operators filter and graph by these
// names, so both are spelt from this one list.
#pragma once

#include <string_view>

namespace udpecho::drop_reasons {

inline constexpr std::string_view denied = "denied";  // by allow/deny
// By the loop rules (loop_guard.hpp), one name each.
inline constexpr std::string_view loop_low_port = "loop_low_port";
inline constexpr std::string_view loop_own_port = "loop_own_port";
inline constexpr std::string_view loop_group_source = "loop_group_source";
inline constexpr std::string_view loop_group_destination = "loop_group_destination";
inline constexpr std::string_view loop_prefix = "loop_prefix";
inline constexpr std::string_view rate_limited = "rate_limited";  // over the per-prefix rate
inline constexpr std::string_view oversized = "oversized";        // the reply would not fit

}  // namespace udpecho::drop_reasons
