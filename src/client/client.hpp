// udpecho's program: resolve the server, connect a UDP socket, and run one of the three modes
// (terminal, piped input, probes) on one event loop.
#pragma once

#include "client/client_options.hpp"

namespace udpecho {

/// udpecho's exit statuses.
enum client_exit : int {
  client_exit_ok = 0,
  client_exit_unanswered = 1,  // a line went unanswered or was refused; a probe was lost
  client_exit_usage = 64,      // EX_USAGE
  client_exit_no_input = 66,   // EX_NOINPUT: standard input is closed, and lines are to be read
  client_exit_no_host = 68,    // EX_NOHOST
  client_exit_software = 70,   // EX_SOFTWARE: a bug
};

/// Runs the client until its input ends, the user quits or a signal comes; returns the exit
/// status. Standard input's modes and flags are restored on every way out.
int run_client(const client_options& options);

}  // namespace udpecho
