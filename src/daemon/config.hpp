// udpechod's configuration: the settings, their defaults, and the parser for udpechod.conf.
#pragma once

#include <spdlog/common.h>
#include <asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/escape.hpp"
#include "daemon/abuse/ip_prefix.hpp"

namespace udpecho {

/// An address and TCP port to listen on, from "127.0.0.1:9525" or "[::1]:9525".
struct listen_address {
  asio::ip::address address;
  std::uint16_t port = 0;
  friend bool operator==(const listen_address&, const listen_address&) = default;
};

/// Everything udpechod can be told by its config file; each member starts at its default.
struct daemon_config {
  std::vector<asio::ip::address> bind{asio::ip::make_address("127.0.0.1")};
  std::uint16_t port = 5002;
  std::string reply_prefix = "server send data:";
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::size_t log_payload_bytes = 64;
  /// How log lines render payloads: printable UTF-8 as text, or all ASCII.
  escape_mode log_escape = escape_mode::utf8;
  // Abuse resistance; config/udpechod.conf says why the defaults are what they are.
  bool loop_protection = true;
  std::uint32_t rate_limit = 100;
  std::uint32_t rate_burst = 200;
  unsigned rate_prefix_v4 = 24;
  unsigned rate_prefix_v6 = 56;
  std::size_t rate_table_size = 65536;
  std::vector<ip_prefix> rate_exempt;
  std::vector<ip_prefix> allow;
  std::vector<ip_prefix> deny;
  /// Threads serving datagrams, each with its own sockets; 0 means one per usable CPU ("auto").
  std::size_t workers = 1;
  /// Where the Prometheus endpoint listens; nothing (the default) means there is none.
  std::optional<listen_address> metrics_listen;
};

/// The most workers a config may ask for.
inline constexpr std::size_t max_workers = 256;

/// The largest config file read; a larger one is refused unread ("FILE: larger than 1 MiB").
inline constexpr std::size_t max_config_bytes = 1 << 20;
/// The longest line of a config file; a longer one is an error.
inline constexpr std::size_t max_line_bytes = 4096;
/// The most error messages kept; the rest are counted in one last "... and N more errors".
inline constexpr std::size_t max_shown_errors = 20;

/// The outcome of parsing a config: the settings (defaults where the text said nothing or said
/// something wrong) and one message per error, each "FILE:LINE: key: reason", at most
/// max_shown_errors of them, then "... and N more errors" when there were more.
struct config_result {
  daemon_config config;
  std::vector<std::string> errors;
  std::size_t error_count = 0;  // every error counted by the parser, shown or not
  bool ok() const { return errors.empty(); }
  /// How many errors there were, including those not shown.
  std::size_t total_errors() const {
    return error_count > errors.size() ? error_count : errors.size();
  }
};

/// Parses the text of a config file. `file_name` is only used in error messages.
config_result parse_config(std::string_view text, std::string_view file_name);

/// Reads and parses a file. A file that cannot be read gives one error naming it and the OS reason.
config_result load_config_file(const std::string& path);

/// The keys the parser accepts, in the order the shipped config documents them.
std::vector<std::string_view> config_keys();

// Value parsers, shared by the config file and the command-line overrides. Each returns the value
// or, through `reason`, why the text is not one ("'70000' is not a port (0-65535)").
std::optional<std::vector<asio::ip::address>> parse_bind_list(std::string_view text,
                                                              std::string& reason);
std::optional<std::uint16_t> parse_port_value(std::string_view text, std::string& reason);
std::optional<listen_address> parse_listen_address(std::string_view text, std::string& reason);
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text,
                                                         std::string& reason);

}  // namespace udpecho
