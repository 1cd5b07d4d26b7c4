#include "client/line_editor.hpp"

#include <editline/readline.h>
#include <unistd.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "client/async.hpp"
#include "client/private_descriptor.hpp"

namespace udpecho {

namespace {
// libedit's callback takes no context pointer.
line_editor* active_editor = nullptr;
}  // namespace

line_editor::line_editor(asio::any_io_executor executor, std::string prompt, line_handler on_line)
    : input_(executor),
      terminal_signals_(executor, SIGWINCH, SIGTSTP),
      prompt_(std::move(prompt)),
      on_line_(std::move(on_line)) {
  // The event loop handles signals; libedit's own handlers would fight it over the terminal.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_readline_name = "udpecho";
  rl_instream = stdin;
  rl_outstream = stdout;
  rl_initialize();
  using_history();
  stifle_history(1000);
  // Tab inserts itself: completing file names makes no sense for datagram payloads.
  rl_bind_key('\t', rl_insert);
  // Only readiness is waited for, on a descriptor of our own; libedit itself reads stdin.
  const int own = open_private_descriptor(STDIN_FILENO);
  input_.assign(own != -1 ? own : ::dup(STDIN_FILENO));
  active_editor = this;
}

line_editor::~line_editor() {
  stop();
  active_editor = nullptr;
}

void line_editor::start() {
  editing_ = true;
  rl_callback_handler_install(prompt_.c_str(), &line_editor::on_libedit_line);
  asio::co_spawn(input_.get_executor(), read_keys(this), asio::detached);
  asio::co_spawn(input_.get_executor(), follow_terminal_signals(this), asio::detached);
}

void line_editor::stop() {
  if (!editing_) return;
  editing_ = false;
  rl_callback_handler_remove();
  asio::error_code ignored;
  input_.cancel(ignored);
  terminal_signals_.cancel(ignored);
}

void line_editor::on_libedit_line(char* line) {
  line_editor* editor = active_editor;
  // libedit stays in canonical mode after a line unless the handler is removed and installed
  // again from inside this callback.
  rl_callback_handler_remove();
  std::optional<std::string> text;
  if (line != nullptr) {
    text = line;
    if (!text->empty()) add_history(line);
    std::free(line);
  }
  if (editor == nullptr) return;
  editor->between_lines_ = true;
  editor->on_line_(std::move(text));  // may stop the editor (q, Ctrl-D)
  editor->between_lines_ = false;
  if (editor->editing_) {
    rl_callback_handler_install(editor->prompt_.c_str(), &line_editor::on_libedit_line);
  }
}

void line_editor::print(std::FILE* stream, std::string_view line) {
  const bool prompt_shown = editing_ && !between_lines_;
  if (prompt_shown) {
    // Wipe the prompt and the half-typed line, print above it, and draw them again below.
    std::fputs("\r\x1b[K", stdout);
    std::fflush(stdout);
  }
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
  if (prompt_shown) rl_forced_update_display();
}

void line_editor::result(std::string_view line) {
  print(stdout, line);
}

void line_editor::note(std::string_view line) {
  print(stderr, line);
}

asio::awaitable<void> read_keys(line_editor* editor) {
  while (editor->editing_) {
    auto [error] =
        co_await editor->input_.async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
    if (error || !editor->editing_) co_return;
    rl_callback_read_char();
  }
}

asio::awaitable<void> follow_terminal_signals(line_editor* editor) {
  for (;;) {
    auto [error, number] = co_await editor->terminal_signals_.async_wait(use_tuple);
    if (error || !editor->editing_) co_return;
    if (number == SIGWINCH) {
      rl_resize_terminal();
      continue;
    }
    rl_callback_handler_remove();
    std::fputc('\n', stdout);
    std::fflush(stdout);
    ::kill(::getpid(), SIGSTOP);  // returns once the shell continues us
    if (editor->editing_) {
      rl_callback_handler_install(editor->prompt_.c_str(), &line_editor::on_libedit_line);
    }
  }
}

}  // namespace udpecho
