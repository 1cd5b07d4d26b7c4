#include "client/messages.hpp"

#include <fmt/format.h>
#include <asio/error.hpp>

#include "client/client_options.hpp"
#include "common/escape.hpp"

namespace udpecho {

namespace {
// A line of a few kilobytes is enough to recognise; a whole 64 KiB datagram would flood the
// terminal.
constexpr std::size_t shown_bytes = 2048;
}  // namespace

std::string format_rtt(std::chrono::nanoseconds rtt) {
  return fmt::format("{:.2f} ms", static_cast<double>(rtt.count()) / 1e6);
}

std::string reply_message(escape_mode text_mode, std::string_view reply, std::string_view from,
                          std::chrono::nanoseconds rtt, unsigned try_number) {
  std::string text = escape_text(reply, text_mode, shown_bytes);
  if (try_number > 1) {
    fmt::format_to(std::back_inserter(text), "  (from {}, {} after try {})", from, format_rtt(rtt),
                   try_number);
  } else {
    fmt::format_to(std::back_inserter(text), "  (from {}, {})", from, format_rtt(rtt));
  }
  return text;
}

std::string late_reply_message(escape_mode text, std::string_view reply, std::string_view from,
                               std::chrono::nanoseconds since_sent, std::uint64_t line_number,
                               std::string_view line) {
  return fmt::format("late reply to line {} \"{}\", {} after it was sent: {}  (from {})",
                     line_number, escape_text(line, text, 80), format_rtt(since_sent),
                     escape_text(reply, text, shown_bytes), from);
}

std::string duplicate_reply_message(escape_mode text, std::string_view reply, std::string_view from,
                                    std::uint64_t line_number, std::string_view line) {
  return fmt::format("duplicate reply to line {} \"{}\": {}  (from {})", line_number,
                     escape_text(line, text, 80), escape_text(reply, text, shown_bytes), from);
}

std::string unexpected_datagram_message(escape_mode text, std::string_view datagram,
                                        std::string_view from) {
  return fmt::format("unexpected datagram: {}  (from {}, {} bytes, answers no line sent)",
                     escape_text(datagram, text, shown_bytes), from, datagram.size());
}

std::string no_reply_message(std::string_view to, unsigned tries,
                             std::chrono::microseconds timeout) {
  return fmt::format(
      "no reply from {} after {} {} ({} s each): the datagram or its reply was lost, or nothing "
      "answers there",
      to, tries, tries == 1 ? "try" : "tries", format_seconds(timeout));
}

std::string retry_message(std::string_view to, unsigned next_try, unsigned tries,
                          std::chrono::microseconds timeout) {
  return fmt::format("no reply from {} within {} s; sending again (try {} of {})", to,
                     format_seconds(timeout), next_try, tries);
}

std::string socket_error_message(std::string_view to, const std::error_code& error) {
  if (error == asio::error::connection_refused) {
    return fmt::format("{} refused: nothing is listening on that port (is udpechod running?)", to);
  }
  if (error == asio::error::host_unreachable) {
    return fmt::format(
        "{} unreachable: no route to that host (a router or the host itself said so)", to);
  }
  if (error == asio::error::network_unreachable) {
    return fmt::format("{} unreachable: no route to that network from here", to);
  }
  return fmt::format("{}: {}", to, error.message());
}

std::string oversized_line_message(std::size_t length, std::size_t largest) {
  return fmt::format(
      "line of {} bytes not sent: it is longer than the largest UDP datagram ({} bytes)", length,
      largest);
}

}  // namespace udpecho
