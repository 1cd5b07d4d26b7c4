// udpecho's command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <vector>
#include "common/udp_limits.hpp"

#include "common/escape.hpp"

namespace udpecho {

/// Which address family -4/-6 asked for.
enum class address_family { any, v4, v6 };

/// The smallest probe payload: it must hold the probe's tag (see probe_payload.hpp).
inline constexpr std::size_t min_probe_size = 32;
/// The largest probe payload: the largest UDP datagram over IPv4.
inline constexpr std::size_t max_probe_size = max_udp_payload_v4;

/// What the command line asked for.
struct client_options {
  std::string host = "localhost";
  std::uint16_t port = 5002;
  address_family family = address_family::any;
  std::chrono::microseconds timeout = std::chrono::seconds(1);
  unsigned retries = 2;
  /// Probe mode when set: send this many numbered probes instead of reading lines.
  std::optional<std::uint64_t> count;
  std::chrono::microseconds interval = std::chrono::seconds(1);
  std::size_t size = 56;
  bool show_help = false;
  bool show_version = false;
  /// Not from the command line: how replies are shown, as text when the locale's terminal takes
  /// UTF-8, in ASCII otherwise (set from the locale at start).
  escape_mode text = escape_mode::ascii;

  /// How many times a line is sent before it is given up: the first try plus the retries.
  unsigned tries() const { return retries + 1; }
};

/// A parse either gives options or the one-line reason the command line is wrong.
struct client_options_result {
  client_options options;
  std::string error;  // empty when the command line is good
};

/// Parses argv (without argv[0]). Accepts "--opt value", "--opt=value", "-c 5" and "-c5".
client_options_result parse_client_options(const std::vector<std::string>& args);

/// Parses a duration in seconds such as "1", "0.25" or "2.5".
std::optional<std::chrono::microseconds> parse_seconds(const std::string& text);

/// Prints a duration in seconds with at least one decimal: "1.0", "0.25", "2.5".
std::string format_seconds(std::chrono::microseconds duration);

/// The text of `udpecho --help`.
std::string client_help_text();

}  // namespace udpecho
