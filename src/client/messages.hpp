// The lines udpecho prints about each line it sends. Kept in one place because users and tests
// read them word for word.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "common/escape.hpp"

namespace udpecho {

/// A round-trip time in milliseconds with two decimals: "0.21 ms".
std::string format_rtt(std::chrono::nanoseconds rtt);

// The messages that show a peer's bytes render them under the shared escaping rule, as text
// when `text` is escape_mode::utf8 (a UTF-8 terminal), in ASCII otherwise.

/// A reply to the line being sent: `server send data:hello  (from 127.0.0.1:5002, 0.21 ms)`.
/// `try_number` above 1 is shown, since the reply may then answer an earlier try.
std::string reply_message(escape_mode text, std::string_view reply, std::string_view from,
                          std::chrono::nanoseconds rtt, unsigned try_number = 1);

/// A reply to line `line_number` (whose bytes were `line`) after that line was given up.
std::string late_reply_message(escape_mode text, std::string_view reply, std::string_view from,
                               std::chrono::nanoseconds since_sent, std::uint64_t line_number,
                               std::string_view line);

/// Another reply to a line that already had one.
std::string duplicate_reply_message(escape_mode text, std::string_view reply, std::string_view from,
                                    std::uint64_t line_number, std::string_view line);

/// A datagram that ends with no line that was sent.
std::string unexpected_datagram_message(escape_mode text, std::string_view datagram,
                                        std::string_view from);

/// The line given up after every try went unanswered.
std::string no_reply_message(std::string_view to, unsigned tries,
                             std::chrono::microseconds timeout);

/// The note printed before sending a line again.
std::string retry_message(std::string_view to, unsigned next_try, unsigned tries,
                          std::chrono::microseconds timeout);

/// What an error from the connected socket means for the user, naming the server: refused,
/// host or network unreachable, or the system's own words for anything else.
std::string socket_error_message(std::string_view to, const std::error_code& error);

/// A line that cannot fit in one datagram.
std::string oversized_line_message(std::size_t length, std::size_t largest);

}  // namespace udpecho
