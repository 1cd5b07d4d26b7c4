// udpechod from start to stop: config, sockets, signals, the event loop.
#pragma once

#include "daemon/daemon_options.hpp"

namespace udpecho {

/// Exit statuses, after sysexits.h.
enum exit_status : int {
  exit_ok = 0,
  exit_socket_error = 1,
  exit_usage = 64,   // EX_USAGE
  exit_config = 78,  // EX_CONFIG
};

/// Runs the daemon until it is stopped; returns the process's exit status.
int run_daemon(const daemon_options& options);

}  // namespace udpecho
