#include "client/echo_session.hpp"

#include <asio/buffer.hpp>
#include <asio/this_coro.hpp>
#include <vector>

#include "client/async.hpp"
#include "client/messages.hpp"
#include "common/endpoint.hpp"
#include "common/udp_limits.hpp"

namespace udpecho {

echo_session::echo_session(asio::ip::udp::socket& socket, const client_options& options,
                           console& out)
    : socket_(socket),
      options_(options),
      out_(out),
      server_(format_endpoint(socket.remote_endpoint())),
      largest_(max_payload_to(socket.remote_endpoint().address())),
      wake_(socket.get_executor()) {}

void echo_session::settle(outcome result) {
  outcome_ = result;
  wake_.cancel();
}

void echo_session::on_datagram(std::string_view datagram) {
  const auto now = std::chrono::steady_clock::now();
  const reply_match match = ledger_.match(datagram);
  switch (match.kind) {
    case reply_kind::answer:
      out_.result(reply_message(options_.text, datagram, server_, now - last_sent_, current_try_));
      if (current_ == match.line->number) settle(outcome::answered);
      break;
    case reply_kind::late:
      out_.result(late_reply_message(options_.text, datagram, server_, now - match.line->first_sent,
                                     match.line->number, match.line->bytes));
      break;
    case reply_kind::duplicate:
      out_.result(duplicate_reply_message(options_.text, datagram, server_, match.line->number,
                                          match.line->bytes));
      break;
    case reply_kind::unexpected:
      out_.result(unexpected_datagram_message(options_.text, datagram, server_));
      break;
  }
  if (awaiting_stragglers_ && !ledger_.awaiting_late_replies()) wake_.cancel();
}

bool echo_session::on_receive_error(const std::error_code& error) {
  // On a connected UDP socket the kernel reports an ICMP error for an earlier datagram on the
  // next receive; it belongs to the line being sent.
  const std::string message = socket_error_message(server_, error);
  if (current_ && outcome_ == outcome::none) {
    out_.result(message);
    settle(outcome::failed);
  } else {
    out_.note(message);
  }
  return error == asio::error::connection_refused || error == asio::error::host_unreachable ||
         error == asio::error::network_unreachable || error == asio::error::connection_reset ||
         error == asio::error::message_size;
}

asio::awaitable<void> receive_replies(echo_session* session) {
  std::vector<char> buffer(65536);
  for (;;) {
    auto [error, size] = co_await session->socket_.async_receive(asio::buffer(buffer), use_tuple);
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      if (!session->on_receive_error(error)) co_return;
      continue;
    }
    session->on_datagram(std::string_view(buffer.data(), size));
  }
}

asio::awaitable<bool> exchange_line(echo_session* session, input_line line) {
  auto& s = *session;
  if (line.length > s.largest_) {
    s.out_.result(oversized_line_message(line.length, s.largest_));
    s.every_line_answered_ = false;
    co_return false;
  }
  const auto number = s.ledger_.add(line.bytes, std::chrono::steady_clock::now());
  s.current_ = number;
  s.outcome_ = echo_session::outcome::none;
  const unsigned tries = s.options_.tries();
  for (unsigned attempt = 1; attempt <= tries; ++attempt) {
    s.current_try_ = attempt;
    s.last_sent_ = std::chrono::steady_clock::now();
    auto [error, sent] = co_await s.socket_.async_send(asio::buffer(line.bytes), use_tuple);
    if (error && s.outcome_ == echo_session::outcome::none) {
      // An ICMP error for an earlier datagram may also surface here, on the send.
      s.out_.result(socket_error_message(s.server_, error));
      s.outcome_ = echo_session::outcome::failed;
    }
    // A reply can come in while the send completes; then there is nothing to wait for.
    if (s.outcome_ == echo_session::outcome::none) {
      s.wake_.expires_after(s.options_.timeout);
      co_await s.wake_.async_wait(use_tuple);
    }
    if (s.outcome_ != echo_session::outcome::none) break;
    if (attempt < tries)
      s.out_.note(retry_message(s.server_, attempt + 1, tries, s.options_.timeout));
  }
  s.current_.reset();
  if (s.outcome_ == echo_session::outcome::none) {
    s.out_.result(no_reply_message(s.server_, tries, s.options_.timeout));
  }
  const bool answered = s.outcome_ == echo_session::outcome::answered;
  if (!answered) {
    s.ledger_.give_up(number, s.outcome_ == echo_session::outcome::failed);
    s.every_line_answered_ = false;
  }
  co_return answered;
}

asio::awaitable<void> await_stragglers(echo_session* session) {
  auto& s = *session;
  if (s.ledger_.awaiting_late_replies()) {
    s.awaiting_stragglers_ = true;
    s.wake_.expires_after(s.options_.timeout);
    co_await s.wake_.async_wait(use_tuple);
    s.awaiting_stragglers_ = false;
  }
  // Replies already queued (a duplicate right behind its original) are printed before exiting.
  asio::error_code error;
  for (int round = 0; round < 1000 && s.socket_.available(error) > 0 && !error; ++round) {
    s.wake_.expires_after(std::chrono::milliseconds(1));
    co_await s.wake_.async_wait(use_tuple);
  }
}

}  // namespace udpecho
