// udpecho's entry point: the command line, then run_client().
#include <fmt/format.h>

#include <langinfo.h>

#include <clocale>
#include <exception>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "common/escape.hpp"
#include "udpecho_version.hpp"

int main(int argc, char** argv) {
  using namespace udpecho;
  // Typed text and replies are in the user's locale; only a UTF-8 one lets text other than ASCII
  // be typed and shown as it is.
  std::setlocale(LC_ALL, "");
  auto parsed = parse_client_options(std::vector<std::string>(argv + 1, argv + argc));
  parsed.options.text =
      std::string_view(nl_langinfo(CODESET)) == "UTF-8" ? escape_mode::utf8 : escape_mode::ascii;
  if (!parsed.error.empty()) {
    fmt::print(stderr, "udpecho: {}\nTry 'udpecho --help' for more information.\n",
               escape_bytes(parsed.error, 200));
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
  try {
    return run_client(parsed.options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "udpecho: fatal: {}\n", e.what());
    return client_exit_software;
  }
}
