// Sending lines over a connected UDP socket and making sense of what comes back: one coroutine
// receives every datagram and pairs it with a line (reply_ledger), another sends a line, resends
// it on silence and reports what became of it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "client/client_options.hpp"
#include "client/console.hpp"
#include "client/reply_ledger.hpp"

namespace udpecho {

/// A line read from input: its first bytes and its full length (a line longer than the largest
/// datagram is not kept whole, only measured).
struct input_line {
  std::string bytes;
  std::size_t length = 0;
};

class echo_session {
 public:
  /// `socket` is connected to the server; all three outlive the session.
  echo_session(asio::ip::udp::socket& socket, const client_options& options, console& out);

  /// False once a line went unanswered, was refused or could not be sent.
  bool every_line_answered() const { return every_line_answered_; }

 private:
  friend asio::awaitable<void> receive_replies(echo_session* session);
  friend asio::awaitable<bool> exchange_line(echo_session* session, input_line line);
  friend asio::awaitable<void> await_stragglers(echo_session* session);

  enum class outcome { none, answered, failed };

  void on_datagram(std::string_view datagram);
  // Returns false when the error means the socket can no longer receive.
  bool on_receive_error(const std::error_code& error);
  void settle(outcome result);

  asio::ip::udp::socket& socket_;
  const client_options& options_;
  console& out_;
  std::string server_;  // "127.0.0.1:5002"
  std::size_t largest_;
  reply_ledger ledger_;
  asio::steady_timer wake_;  // a waiting exchange or await_stragglers sleeps on it

  std::optional<std::uint64_t> current_;  // the line being sent, while it is pending
  unsigned current_try_ = 0;
  std::chrono::steady_clock::time_point last_sent_{};
  outcome outcome_ = outcome::none;
  bool awaiting_stragglers_ = false;
  bool every_line_answered_ = true;
};

/// Receives datagrams until the socket is closed, printing each one: as the reply to the line
/// being sent, or labelled late, duplicate or unexpected.
asio::awaitable<void> receive_replies(echo_session* session);

/// Sends `line`, resends it after each silent timeout, and prints its fate once: the reply (by
/// receive_replies), "no reply ... after N tries", refused or unreachable, or too long to send.
/// Returns true when it was answered.
asio::awaitable<bool> exchange_line(echo_session* session, input_line line);

/// At the end of input: gives replies to given-up lines up to one timeout to come in late, and
/// lets the replies already queued on the socket be printed.
asio::awaitable<void> await_stragglers(echo_session* session);

}  // namespace udpecho
