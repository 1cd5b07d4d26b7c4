// Lines from standard input when it is not a terminal (a pipe, a file, /dev/null).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <optional>
#include <string>

#include "client/echo_session.hpp"

namespace udpecho {

class line_reader {
 public:
  /// Reads from descriptor `fd`; of a line longer than `longest` only the first bytes are kept.
  line_reader(asio::any_io_executor executor, int fd, std::size_t longest);
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

 private:
  friend asio::awaitable<std::optional<input_line>> next_line(line_reader* reader);

  // Reads more input into buffer_; false at the end of input or on a read error.
  asio::awaitable<bool> fill();

  int fd_;
  std::size_t longest_;
  // Waits for readiness of a pipe or a terminal; a terminal through a private descriptor (see
  // private_descriptor.hpp). Files and /dev/null cannot be polled, and a read from them never
  // blocks, so they are read directly.
  std::optional<asio::posix::stream_descriptor> watcher_;
  std::string buffer_;
  std::size_t scanned_ = 0;  // buffer_ holds no newline before this offset
  std::size_t dropped_ = 0;  // bytes of the current line not kept
  bool end_ = false;
};

/// The next line without its "\n" (or "\r\n"), or nothing at the end of input. The last line
/// counts even without a newline.
asio::awaitable<std::optional<input_line>> next_line(line_reader* reader);

}  // namespace udpecho
