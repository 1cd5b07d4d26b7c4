#include "client/client_options.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>
#include <string_view>

#include "common/endpoint.hpp"
#include "common/option_parser.hpp"
#include "common/text.hpp"

namespace udpecho {

std::string client_help_text() {
  return fmt::format(
      R"(Usage: udpecho [OPTIONS] [HOST [PORT]]
Sends lines to a UDP echo server and shows what happened to each one: the reply with
its round-trip time, or why there was none. HOST defaults to localhost (a name, an IPv4
or an IPv6 literal), PORT to 5002.

On a terminal it shows a '> ' prompt with line editing and history; q, Ctrl-D or Ctrl-C
quits. Otherwise it reads lines from standard input and prints one line for each: the
reply, or the reason there was none. A line that is exactly 'q' ends the input. Replies
are paired with lines by content: a reply answers the line its bytes end with. A reply
that comes after its line was given up is shown as late, a second reply as duplicate,
and a datagram that answers no line as unexpected.

Options:
  -4                  use IPv4 only
  -6                  use IPv6 only
                      (without either, a name with both kinds of address uses IPv4)
      --timeout SEC   wait this long for a reply before sending again (default 1)
      --retries N     send a line again up to N times before giving up (default 2)
  -c, --count N       probe mode: send N numbered probes and print loss, duplicate,
                      reorder and round-trip statistics instead of reading lines
  -i, --interval SEC  probe mode: time between probes (default 1, at least 0.01)
  -s, --size BYTES    probe mode: payload size, {}-{} (default 56)
  -V, --version       print the version and exit
  -h, --help          print this help and exit

In probe mode a probe with no reply within --timeout is counted as lost; probes are
not sent again.

Exit status:
  0   every line was answered (probe mode: no probe was lost); or the user quit
  1   a line was not answered or was refused (probe mode: a probe was lost)
  64  bad command line
  66  standard input is closed (and not probe mode)
  68  HOST cannot be resolved
)",
      min_probe_size, max_probe_size);
}

std::optional<std::chrono::microseconds> parse_seconds(const std::string& text) {
  double seconds = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, seconds, std::chars_format::fixed);
  if (text.empty() || error != std::errc{} || stop != end || !std::isfinite(seconds) ||
      seconds < 0 || seconds > 86400) {
    return std::nullopt;
  }
  return std::chrono::microseconds(std::llround(seconds * 1e6));
}

std::string format_seconds(std::chrono::microseconds duration) {
  std::string text = fmt::format("{:.3f}", static_cast<double>(duration.count()) / 1e6);
  while (text.ends_with('0') && !text.ends_with(".0")) text.pop_back();
  return text;
}

namespace {

constexpr option_spec specs[] = {
    {"", '4', false},     {"", '6', false},        {"timeout", 0, true},
    {"retries", 0, true}, {"count", 'c', true},    {"interval", 'i', true},
    {"size", 's', true},  {"version", 'V', false}, {"help", 'h', false},
};

// Applies one option; returns the reason it is wrong, or an empty string.
std::string apply(client_options& options, const option_spec& spec, const std::string& value) {
  const std::string name = option_name(spec);
  if (spec.long_name == "timeout") {
    auto seconds = parse_seconds(value);
    if (!seconds || seconds->count() < 1000) {
      return fmt::format("{}: {} is not a time in seconds (0.001-86400)", name, quoted(value, 200));
    }
    options.timeout = *seconds;
  } else if (spec.long_name == "retries") {
    auto retries = parse_number<unsigned>(value, 0, 100);
    if (!retries)
      return fmt::format("{}: {} is not a number of retries (0-100)", name, quoted(value, 200));
    options.retries = *retries;
  } else if (spec.short_name == 'c') {
    auto count = parse_number<std::uint64_t>(value, 1, 1000000);
    if (!count)
      return fmt::format("{}: {} is not a probe count (1-1000000)", name, quoted(value, 200));
    options.count = *count;
  } else if (spec.short_name == 'i') {
    // Bounded below so that probe mode cannot be turned into a flood.
    auto seconds = parse_seconds(value);
    if (!seconds || seconds->count() < 10000) {
      return fmt::format("{}: {} is not an interval in seconds (0.01-86400)", name,
                         quoted(value, 200));
    }
    options.interval = *seconds;
  } else if (spec.short_name == 's') {
    auto size = parse_number<std::size_t>(value, min_probe_size, max_probe_size);
    if (!size) {
      return fmt::format("{}: {} is not a probe size ({}-{} bytes)", name, quoted(value, 200),
                         min_probe_size, max_probe_size);
    }
    options.size = *size;
  } else if (spec.short_name == '4') {
    options.family = address_family::v4;
  } else if (spec.short_name == '6') {
    options.family = address_family::v6;
  } else if (spec.short_name == 'V') {
    options.show_version = true;
  } else if (spec.short_name == 'h') {
    options.show_help = true;
  }
  return {};
}

}  // namespace

client_options_result parse_client_options(const std::vector<std::string>& args) {
  client_options_result result;
  auto& options = result.options;
  std::vector<std::string> positional;
  bool interval_given = false;
  bool size_given = false;
  result.error = walk_command_line(
      args, specs,
      [&](const option_spec& spec, const std::string& value) {
        interval_given |= spec.short_name == 'i';
        size_given |= spec.short_name == 's';
        return apply(options, spec, value);
      },
      [&](const std::string& argument) {
        positional.push_back(argument);
        return std::string();
      });
  if (!result.error.empty()) return result;
  if (positional.size() > 2) {
    result.error = fmt::format("unexpected argument {}", quoted(positional[2], 200));
    return result;
  }
  if (!positional.empty()) {
    if (positional[0].empty()) {
      result.error = "HOST is empty";
      return result;
    }
    options.host = positional[0];
  }
  if (positional.size() == 2) {
    auto port = parse_port(positional[1]);
    if (!port || *port == 0) {
      result.error =
          fmt::format("{} is not a port to send to (1-65535)", quoted(positional[1], 200));
      return result;
    }
    options.port = *port;
  }
  if (!options.count && (interval_given || size_given)) {
    result.error = fmt::format("option '{}' needs -c/--count (probe mode)",
                               interval_given ? "--interval" : "--size");
  }
  return result;
}

}  // namespace udpecho
