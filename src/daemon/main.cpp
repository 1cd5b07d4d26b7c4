// udpechod's entry point: the command line, then run_daemon().
#include <fmt/format.h>

#include <exception>
#include <string>
#include <vector>

#include "daemon/daemon.hpp"
#include "udpecho_version.hpp"

int main(int argc, char** argv) {
  using namespace udpecho;
  const auto parsed = parse_daemon_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.error.empty()) {
    // Escaped where it was written: an argument is escaped once, where the message quotes it.
    fmt::print(stderr, "udpechod: {}\nTry 'udpechod --help' for more information.\n", parsed.error);
    return exit_usage;
  }
  if (parsed.options.show_help) {
    fmt::print("{}", daemon_help_text());
    return exit_ok;
  }
  if (parsed.options.show_version) {
    fmt::print("udpechod {}\n", UDPECHO_VERSION);
    return exit_ok;
  }
  try {
    return run_daemon(parsed.options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "udpechod: fatal: {}\n", e.what());
    return 70;  // EX_SOFTWARE
  }
}
