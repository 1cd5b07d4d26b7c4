// Puts standard input back as it was found. Line editing changes the terminal's modes, and an
// event loop may leave the descriptor non-blocking, which the shell would then inherit.
#pragma once

#include <termios.h>
#include <optional>

namespace udpecho {

class terminal_guard {
 public:
  /// Saves the file status flags of `fd` and, when it is a terminal, its modes.
  explicit terminal_guard(int fd);
  /// Restores what was saved.
  ~terminal_guard();
  terminal_guard(const terminal_guard&) = delete;
  terminal_guard& operator=(const terminal_guard&) = delete;

  /// Restores what was saved now (also done by the destructor).
  void restore() const;

 private:
  int fd_;
  int flags_;
  std::optional<termios> modes_;
};

}  // namespace udpecho
