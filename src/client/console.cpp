#include "client/console.hpp"

#include <cstdio>

namespace udpecho {

namespace {
void write_line(std::FILE* stream, std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}
}  // namespace

void stream_console::result(std::string_view line) {
  write_line(stdout, line);
}

void stream_console::note(std::string_view line) {
  write_line(stderr, line);
}

}  // namespace udpecho
