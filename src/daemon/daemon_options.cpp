#include "daemon/daemon_options.hpp"

#include <fmt/format.h>
#include <string_view>

#include "common/option_parser.hpp"
#include "common/text.hpp"
#include "daemon/config.hpp"

namespace udpecho {

std::string daemon_help_text() {
  return fmt::format(
      R"(Usage: udpechod [OPTIONS]
A UDP echo daemon: every datagram is answered with the reply prefix followed by its payload.

Options:
  -c, --config FILE      read settings from FILE (default {})
  -b, --bind LIST        comma-separated IPv4/IPv6 addresses to listen on (overrides 'bind')
  -p, --port PORT        UDP port, 0-65535; 0 lets the kernel choose (overrides 'port')
  -l, --log-level LEVEL  trace, debug, info, warning, error, critical or off (overrides 'log_level')
  -T, --log-target TARGET
                         journal (records with fields), stderr, or auto (the default: the
                         journal when stderr is connected to it)
  -t, --check-config     check the config and the command line, print any errors, and exit
  -V, --version          print the version and exit
  -h, --help             print this help and exit

Signals: TERM and INT stop the daemon after a summary line; HUP reloads the config.
Under systemd it reports readiness, status and watchdog pings ($NOTIFY_SOCKET), and serves the
sockets of a .socket unit ($LISTEN_FDS) instead of 'bind' and 'port'.

Exit status:
  0   stopped on request, or --check-config found no error
  1   a socket could not be opened or bound, or one passed by systemd is not UDP
  64  bad command line
  78  bad config file
)",
      default_config_path);
}

namespace {

constexpr option_spec specs[] = {
    {"config", 'c', true},    {"bind", 'b', true},          {"port", 'p', true},
    {"log-level", 'l', true}, {"check-config", 't', false}, {"version", 'V', false},
    {"help", 'h', false},     {"log-target", 'T', true},
};

// Applies one option; returns the reason it is wrong, or an empty string.
std::string apply(daemon_options& options, const option_spec& spec, const std::string& value) {
  std::string reason;
  switch (spec.short_name) {
    case 'c':
      options.config_path = value;
      options.config_path_given = true;
      return {};
    case 'b':
      options.bind = parse_bind_list(value, reason);
      break;
    case 'p':
      options.port = parse_port_value(value, reason);
      break;
    case 'l':
      options.log_level = parse_log_level(value, reason);
      break;
    case 'T':
      if (auto target = parse_log_target(value)) {
        options.log_to = *target;
      } else {
        reason = fmt::format("'{}' is not auto, journal or stderr", value);
      }
      break;
    case 't':
      options.check_config = true;
      return {};
    case 'V':
      options.show_version = true;
      return {};
    case 'h':
      options.show_help = true;
      return {};
  }
  return reason.empty() ? reason : fmt::format("--{}: {}", spec.long_name, reason);
}

}  // namespace

daemon_options_result parse_daemon_options(const std::vector<std::string>& args) {
  daemon_options_result result;
  result.error = walk_command_line(
      args, specs,
      [&](const option_spec& spec, const std::string& value) {
        return apply(result.options, spec, value);
      },
      [](const std::string& argument) {
        return fmt::format("unexpected argument {}", quoted(argument, 200));
      });
  return result;
}

}  // namespace udpecho
