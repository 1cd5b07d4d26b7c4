#include "client/line_editor.hpp"

#include <editline/readline.h>
#include <fmt/format.h>
#include <langinfo.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <unistr.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "client/async.hpp"
#include "client/line_layout.hpp"
#include "client/private_descriptor.hpp"

namespace udpecho {

namespace {
// libedit's callbacks take no context pointer.
line_editor* active_editor = nullptr;

std::size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}
}  // namespace

line_editor::line_editor(asio::any_io_executor executor, std::string prompt, escape_mode text,
                         line_handler on_line)
    : input_(executor),
      terminal_signals_(executor, SIGWINCH, SIGTSTP),
      prompt_(std::move(prompt)),
      text_(text),
      on_line_(std::move(on_line)) {
  // The event loop handles signals; libedit's own handlers would fight it over the terminal.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_readline_name = "udpecho";
  rl_instream = stdin;
  rl_outstream = stdout;
  // Characters reach libedit through next_character(), which must be in place before
  // rl_initialize().
  rl_getc_function = &line_editor::next_character;
  rl_initialize();
  using_history();
  stifle_history(1000);
  // Tab inserts itself: completing file names makes no sense for datagram payloads.
  rl_bind_key('\t', rl_insert);
  // Ctrl-R recalls the latest line that holds the text typed so far. libedit's incremental
  // search looks up each typed character's key binding by its low byte only, so most Chinese
  // characters would end the search instead of extending it.
  rl_parse_and_bind("bind ^R ed-search-prev-history");
  // Only this editor reads the terminal, on a descriptor of its own (non-blocking, so that
  // standard input's flags stay as the shell set them).
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
  fresh_line_ = true;
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
    editor->fresh_line_ = true;
  }
}

bool line_editor::read_input(bool wait) {
  const int fd = input_.native_handle();
  char chunk[4096];
  for (;;) {
    if (wait) {
      pollfd ready{fd, POLLIN, 0};
      if (::poll(&ready, 1, -1) < 0 && errno != EINTR) return false;
    }
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got > 0) {
      pending_.append(chunk, static_cast<std::size_t>(got));
      return true;
    }
    if (got == 0) return false;
    if (errno == EINTR || (wait && (errno == EAGAIN || errno == EWOULDBLOCK))) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

bool line_editor::character_ready() {
  while (!pending_.empty()) {
    const auto lead = static_cast<unsigned char>(pending_.front());
    if (lead < 0x80) return true;
    if (text_ == escape_mode::utf8) {
      ucs4_t code_point = 0;
      const int length = u8_mbtoucr(&code_point, reinterpret_cast<const uint8_t*>(pending_.data()),
                                    pending_.size());
      if (length > 0) return true;
      if (length == -2) return false;  // the rest of the character is still on its way
    }
    refused_ += pending_.front();
    pending_.erase(0, 1);
  }
  return false;
}

int line_editor::next_character(std::FILE*) {
  line_editor* editor = active_editor;
  if (editor == nullptr) return -1;
  // libedit asks for more than one character for a key sequence such as an arrow key's; the
  // rest of it is already on its way, so waiting for it here is brief.
  while (!editor->character_ready()) {
    if (!editor->read_input(true)) return -1;
  }
  auto& pending = editor->pending_;
  ucs4_t code_point = static_cast<unsigned char>(pending.front());
  int length = 1;
  if (code_point >= 0x80) {
    length =
        u8_mbtoucr(&code_point, reinterpret_cast<const uint8_t*>(pending.data()), pending.size());
  }
  pending.erase(0, static_cast<std::size_t>(length));
  return static_cast<int>(code_point);
}

void line_editor::report_refused() {
  if (refused_.empty()) return;
  const std::string bytes = escape_bytes(refused_, 64);
  refused_.clear();
  if (text_ == escape_mode::utf8) {
    note(fmt::format("udpecho: typed bytes {} not taken: they are not UTF-8 text", bytes));
  } else {
    note(fmt::format(
        "udpecho: typed bytes {} not taken: the locale's character set ({}) is not UTF-8, so "
        "only ASCII can be typed; run udpecho in a UTF-8 locale (LANG=C.UTF-8) to send other text",
        bytes, ::nl_langinfo(CODESET)));
  }
}

void line_editor::print(std::FILE* stream, std::string_view line) {
  const bool prompt_shown = editing_ && !between_lines_;
  if (prompt_shown) {
    // Wipe the prompt and the half-typed line, which may wrap over several rows, print above
    // it, and draw them again below.
    std::string before_cursor = prompt_;
    if (!fresh_line_ && rl_line_buffer != nullptr) {
      const std::size_t typed = std::strlen(rl_line_buffer);
      const auto point = static_cast<std::size_t>(rl_point < 0 ? 0 : rl_point);
      before_cursor.append(rl_line_buffer, point < typed ? point : typed);
    }
    const std::size_t rows = rows_above_cursor(before_cursor, terminal_columns());
    if (rows > 0) std::fprintf(stdout, "\x1b[%zuA", rows);
    std::fputs("\r\x1b[J", stdout);
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
    if (!editor->read_input(false)) {
      // The terminal is gone (hung up): like Ctrl-D.
      editor->stop();
      editor->on_line_(std::nullopt);
      co_return;
    }
    while (editor->editing_ && editor->character_ready()) {
      editor->fresh_line_ = false;
      rl_callback_read_char();
    }
    editor->report_refused();
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
      editor->fresh_line_ = true;
    }
  }
}

}  // namespace udpecho
