// Where the daemon's configuration comes from: the config file, or the built-in defaults when
// the default file does not exist; the command line's overrides on top.
#pragma once

#include <string>

#include "daemon/config.hpp"
#include "daemon/daemon_options.hpp"

namespace udpecho {

struct loaded_config {
  config_result result;
  std::string source;      // what the log says the settings came from
  bool from_file = false;  // false: the built-in defaults
};

/// Reads the configuration `options` point at. With `file_required` (a reload of a daemon that
/// started from the file) a file that has disappeared is an error, never a silent return to the
/// defaults, which would drop the deny list among others.
loaded_config load_config(const daemon_options& options, bool file_required);

}  // namespace udpecho
