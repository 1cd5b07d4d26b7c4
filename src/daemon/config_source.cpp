#include "daemon/config_source.hpp"

#include <fmt/format.h>
#include <filesystem>

#include "common/escape.hpp"

namespace udpecho {

loaded_config load_config(const daemon_options& options, bool file_required) {
  loaded_config loaded;
  std::error_code ignored;
  if (!file_required && !options.config_path_given &&
      !std::filesystem::exists(options.config_path, ignored)) {
    loaded.source = fmt::format("built-in defaults ({} does not exist)",
                                escape_bytes(options.config_path, 200));
  } else {
    loaded.result = load_config_file(options.config_path);
    loaded.source = escape_bytes(options.config_path, 200);  // from the command line: any bytes
    loaded.from_file = true;
  }
  auto& config = loaded.result.config;
  if (options.bind) config.bind = *options.bind;
  if (options.port) config.port = *options.port;
  if (options.log_level) config.log_level = *options.log_level;
  return loaded;
}

}  // namespace udpecho
