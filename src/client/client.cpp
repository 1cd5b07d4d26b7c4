#include "client/client.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <csignal>
#include <deque>
#include <exception>
#include <memory>
#include <optional>

#include "client/async.hpp"
#include "client/console.hpp"
#include "client/echo_session.hpp"
#include "client/line_editor.hpp"
#include "client/line_reader.hpp"
#include "client/messages.hpp"
#include "client/probe_run.hpp"
#include "client/resolve.hpp"
#include "client/terminal_guard.hpp"
#include "common/endpoint.hpp"
#include "common/udp_limits.hpp"

namespace udpecho {

namespace {

enum class client_mode { terminal, piped, probe };

// Everything one run owns. Coroutines hold a pointer to it; it outlives the event loop's run.
struct client_run {
  client_run(asio::io_context& context, const client_options& opts)
      : io(context),
        options(opts),
        socket(context),
        typed_ready(context),
        signals(context, SIGINT, SIGTERM, SIGHUP) {}

  // Ends the run: the terminal gets its modes back at once; the loop stops after this handler.
  void finish(int code) {
    if (finished) return;
    finished = true;
    exit_code = code;
    if (editor) editor->stop();
    io.stop();
  }

  asio::io_context& io;
  const client_options& options;
  client_mode mode = client_mode::piped;
  asio::ip::udp::socket socket;
  stream_console streams;
  std::unique_ptr<line_editor> editor;
  std::unique_ptr<echo_session> session;
  std::unique_ptr<probe_run> probes;
  std::unique_ptr<line_reader> reader;
  std::deque<std::string> typed;  // lines typed while an earlier one is still being sent
  asio::steady_timer typed_ready;
  asio::signal_set signals;
  int exit_code = client_exit_unanswered;
  bool finished = false;
};

void on_typed(client_run* run, std::optional<std::string> line) {
  if (!line) {
    std::fputc('\n', stdout);  // Ctrl-D leaves the cursor after the prompt
    run->finish(client_exit_ok);
  } else if (*line == "q") {
    run->finish(client_exit_ok);
  } else if (!line->empty()) {
    run->typed.push_back(std::move(*line));
    run->typed_ready.cancel();
  }
}

asio::awaitable<void> send_typed_lines(client_run* run) {
  for (;;) {
    if (run->typed.empty()) {
      run->typed_ready.expires_at(asio::steady_timer::time_point::max());
      co_await run->typed_ready.async_wait(use_tuple);
      continue;
    }
    std::string text = std::move(run->typed.front());
    run->typed.pop_front();
    input_line line{text, text.size()};
    co_await exchange_line(run->session.get(), std::move(line));
  }
}

asio::awaitable<void> send_piped_lines(client_run* run) {
  while (auto line = co_await next_line(run->reader.get())) {
    if (line->length == 1 && line->bytes == "q") break;
    co_await exchange_line(run->session.get(), std::move(*line));
  }
  co_await await_stragglers(run->session.get());
  run->finish(run->session->every_line_answered() ? client_exit_ok : client_exit_unanswered);
}

asio::awaitable<void> run_probes(client_run* run) {
  co_await send_probes(run->probes.get());
  run->probes->print_summary();
  run->finish(run->probes->nothing_lost() ? client_exit_ok : client_exit_unanswered);
}

asio::awaitable<void> await_signal(client_run* run) {
  auto [error, signal] = co_await run->signals.async_wait(use_tuple);
  if (error) co_return;
  switch (run->mode) {
    case client_mode::terminal:
      // Ctrl-C ends the session like q does; the half-typed line is left as it is.
      run->editor->stop();
      std::fputc('\n', stdout);
      run->finish(client_exit_ok);
      break;
    case client_mode::probe:
      // Like ping: what was measured so far is still worth a summary.
      std::fputc('\n', stdout);
      run->probes->print_summary();
      run->finish(run->probes->nothing_lost() ? client_exit_ok : client_exit_unanswered);
      break;
    case client_mode::piped:
      run->finish(client_exit_unanswered);
      break;
  }
}

asio::awaitable<void> start_client(client_run* run) {
  const auto& options = run->options;
  const auto target = co_await resolve_target(options.host, options.port, options.family);
  if (!target.endpoint) {
    fmt::print(stderr, "udpecho: {}\n", target.error);
    run->finish(client_exit_no_host);
    co_return;
  }
  // A connected socket hears ICMP errors (refused, unreachable) and only the server's datagrams.
  asio::error_code error;
  run->socket.open(target.endpoint->protocol(), error);
  if (!error) run->socket.connect(*target.endpoint, error);
  if (error) {
    fmt::print(stderr, "udpecho: {}\n",
               socket_error_message(format_endpoint(*target.endpoint), error));
    run->finish(client_exit_unanswered);
    co_return;
  }
  const auto executor = run->io.get_executor();
  asio::co_spawn(executor, await_signal(run), asio::detached);
  switch (run->mode) {
    case client_mode::probe:
      run->probes = std::make_unique<probe_run>(run->socket, options, run->streams);
      run->streams.result(run->probes->header());
      asio::co_spawn(executor, receive_probe_replies(run->probes.get()), asio::detached);
      co_await run_probes(run);
      break;
    case client_mode::piped:
      run->session = std::make_unique<echo_session>(run->socket, options, run->streams);
      run->reader = std::make_unique<line_reader>(executor, STDIN_FILENO,
                                                  max_payload_to(target.endpoint->address()));
      asio::co_spawn(executor, receive_replies(run->session.get()), asio::detached);
      co_await send_piped_lines(run);
      break;
    case client_mode::terminal:
      run->editor = std::make_unique<line_editor>(
          executor, "> ", options.text,
          [run](std::optional<std::string> line) { on_typed(run, std::move(line)); });
      run->session = std::make_unique<echo_session>(run->socket, options, *run->editor);
      run->editor->result(fmt::format("udpecho: talking to {} at {}; q, Ctrl-D or Ctrl-C quits",
                                      options.host, format_endpoint(*target.endpoint)));
      run->editor->start();
      asio::co_spawn(executor, receive_replies(run->session.get()), asio::detached);
      asio::co_spawn(executor, send_typed_lines(run), asio::detached);
      break;
  }
}

}  // namespace

int run_client(const client_options& options) {
  // Declared first so that it is destroyed last, after the editor and the event loop.
  terminal_guard stdin_guard(STDIN_FILENO);
  asio::io_context io;
  client_run run(io, options);
  if (options.count) {
    run.mode = client_mode::probe;
  } else if (::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)) {
    run.mode = client_mode::terminal;
  }
  std::exception_ptr failure;
  asio::co_spawn(io, start_client(&run), [&](std::exception_ptr error) {
    if (!error) return;
    failure = error;
    run.finish(client_exit_software);
  });
  io.run();
  run.editor.reset();
  if (failure) std::rethrow_exception(failure);
  return run.exit_code;
}

}  // namespace udpecho
