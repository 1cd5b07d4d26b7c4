// udpechod's command line.
#pragma once

#include <spdlog/common.h>
#include <asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/systemd/logging.hpp"

namespace udpecho {

inline constexpr const char* default_config_path = "/etc/udpechod/udpechod.conf";

/// What the command line asked for. Overrides are empty unless given.
struct daemon_options {
  std::string config_path = default_config_path;
  bool config_path_given = false;
  std::optional<std::vector<asio::ip::address>> bind;
  std::optional<std::uint16_t> port;
  std::optional<spdlog::level::level_enum> log_level;
  log_target log_to = log_target::automatic;
  bool check_config = false;
  bool show_help = false;
  bool show_version = false;
};

/// A parse either gives options or the one-line reason the command line is wrong.
struct daemon_options_result {
  daemon_options options;
  std::string error;  // empty when the command line is good; arguments in it are escaped
};

/// Parses argv (without argv[0]). Accepts "--opt value", "--opt=value" and the short forms.
daemon_options_result parse_daemon_options(const std::vector<std::string>& args);

/// The text of `udpechod --help`.
std::string daemon_help_text();

}  // namespace udpecho
