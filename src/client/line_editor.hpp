// The terminal front end: a "> " prompt with line editing and history from libedit, driven by
// the event loop one keystroke at a time (libedit's readline-compatible callback interface), so
// that a late reply can be printed above the line while the user is still typing it.
// Keys reach libedit as whole characters decoded here (UTF-8 in a UTF-8 locale, ASCII otherwise),
// so that libedit edits wide characters as one; bytes that are not text in the locale are
// refused with a note rather than dropped in silence.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/signal_set.hpp>
#include <functional>
#include <optional>
#include <string>

#include "client/console.hpp"
#include "common/escape.hpp"

namespace udpecho {

class line_editor final : public console {
 public:
  /// Called with each line typed, or with nothing for Ctrl-D on an empty line.
  using line_handler = std::function<void(std::optional<std::string>)>;

  /// Edits lines read from standard input; only one editor may exist at a time. `text` says
  /// whether the locale's terminal sends UTF-8 (utf8) or only ASCII can be taken (ascii).
  line_editor(asio::any_io_executor executor, std::string prompt, escape_mode text,
              line_handler on_line);
  /// Stops editing.
  ~line_editor() override;
  line_editor(const line_editor&) = delete;
  line_editor& operator=(const line_editor&) = delete;

  /// Shows the prompt and starts reading keys.
  void start();
  /// Takes the prompt away and puts the terminal back in the modes libedit found it in.
  void stop();

  void result(std::string_view line) override;
  void note(std::string_view line) override;

 private:
  friend asio::awaitable<void> read_keys(line_editor* editor);
  friend asio::awaitable<void> follow_terminal_signals(line_editor* editor);
  static void on_libedit_line(char* line);
  // libedit's rl_getc_function: the next character typed, decoded from pending_.
  static int next_character(std::FILE*);
  // Reads what the terminal has sent into pending_, waiting for it when `wait`; false at the end
  // of input.
  bool read_input(bool wait);
  // Moves bytes that are not text in the locale from the front of pending_ to refused_; true when
  // a whole character is left at the front.
  bool character_ready();
  // Notes the refused bytes above the prompt.
  void report_refused();
  void print(std::FILE* stream, std::string_view line);

  asio::posix::stream_descriptor input_;
  asio::signal_set terminal_signals_;  // SIGWINCH, SIGTSTP
  std::string prompt_;
  escape_mode text_;
  line_handler on_line_;
  std::string pending_;  // bytes typed, not yet given to libedit
  std::string refused_;  // bytes typed that are not text in the locale, not yet reported
  bool editing_ = false;
  bool between_lines_ = false;  // inside the line callback: no prompt on screen
  bool fresh_line_ = true;      // the prompt stands alone: libedit's line is not reset until a key
};

/// Tells libedit the new width on SIGWINCH; on SIGTSTP (Ctrl-Z) stops with the terminal in the
/// modes the shell expects, and takes it back on SIGCONT.
asio::awaitable<void> follow_terminal_signals(line_editor* editor);

/// Feeds each key that arrives on standard input to libedit, until the editor stops.
asio::awaitable<void> read_keys(line_editor* editor);

}  // namespace udpecho
