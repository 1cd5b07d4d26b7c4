// udpecho's entry point: the command line, then run_client().
#include <fcntl.h>
#include <unistd.h>

#include <langinfo.h>

#include <fmt/format.h>
#include <cerrno>
#include <clocale>
#include <exception>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "common/escape.hpp"
#include "udpecho_version.hpp"

int main(int argc, char** argv) {
  using namespace udpecho;
  // Started with standard input closed (`<&-`), descriptor 0 would go to the first socket or
  // file opened, and lines would be read from it; /dev/null holds the place instead.
  const bool stdin_closed = ::fcntl(STDIN_FILENO, F_GETFD) == -1 && errno == EBADF;
  if (stdin_closed && ::open("/dev/null", O_RDONLY) != STDIN_FILENO) return client_exit_software;
  // Typed text and replies are in the user's locale; only a UTF-8 one lets text other than ASCII
  // be typed and shown as it is.
  std::setlocale(LC_ALL, "");
  auto parsed = parse_client_options(std::vector<std::string>(argv + 1, argv + argc));
  parsed.options.text =
      std::string_view(nl_langinfo(CODESET)) == "UTF-8" ? escape_mode::utf8 : escape_mode::ascii;
  if (!parsed.error.empty()) {
    // Escaped where it was written: an argument is escaped once, where the message quotes it.
    fmt::print(stderr, "udpecho: {}\nTry 'udpecho --help' for more information.\n", parsed.error);
    return client_exit_usage;
  }
  if (parsed.options.show_help) {
    fmt::print("{}", client_help_text());
    return client_exit_ok;
  }
  if (parsed.options.show_version) {
    fmt::print("udpecho {}\n", UDPECHO_VERSION);
    return client_exit_ok;
  }
  if (stdin_closed && !parsed.options.count) {
    fmt::print(stderr, "udpecho: standard input is closed: there are no lines to send\n");
    return client_exit_no_input;
  }
  try {
    return run_client(parsed.options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "udpecho: fatal: {}\n", e.what());
    return client_exit_software;
  }
}
