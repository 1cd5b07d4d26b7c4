// Prints every key udpechod's config parser accepts, one a line, so that tests can check the
// documentation against the parser itself instead of a copy of its key list.
#include <fmt/format.h>

#include "daemon/config.hpp"

int main() {
  for (const auto key : udpecho::config_keys()) fmt::print("{}\n", key);
  return 0;
}
