#include "daemon/metrics/metrics_endpoint.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <exception>
#include <string>
#include <string_view>

#include "daemon/metrics/exposition.hpp"
#include "daemon/metrics/http_request.hpp"

namespace udpecho {

struct metrics_endpoint::connection {
  explicit connection(asio::ip::tcp::socket s)
      : socket(std::move(s)), deadline(socket.get_executor()) {}
  asio::ip::tcp::socket socket;
  asio::steady_timer deadline;
  std::array<char, 2048> chunk;
  std::string received;
  std::string reply;

  void close() {
    std::error_code ignored;
    socket.close(ignored);
    deadline.cancel();
  }
};

namespace {

std::string http_response(std::string_view status, std::string_view content_type,
                          std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, content_type, body.size(), body);
}

}  // namespace

asio::awaitable<void> answer_connection(metrics_endpoint* self,
                                        std::shared_ptr<metrics_endpoint::connection> peer) {
  // Errors end the exchange: the peer went away, or the deadline or close() closed the socket.
  std::error_code error;
  auto verdict = request_verdict::incomplete;
  while (verdict == request_verdict::incomplete) {
    const auto got = co_await peer->socket.async_read_some(
        asio::buffer(peer->chunk), asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    peer->received.append(peer->chunk.data(), got);
    verdict = judge_request(peer->received);
  }
  if (!error) {
    if (verdict == request_verdict::metrics) {
      peer->reply = http_response("200 OK", exposition_content_type,
                                  self->exposition_.render(self->provider_()));
    } else if (verdict == request_verdict::not_found) {
      peer->reply = http_response("404 Not Found", "text/plain; charset=utf-8",
                                  "Not found: the metrics are at /metrics\n");
    } else {
      peer->reply = http_response("400 Bad Request", "text/plain; charset=utf-8",
                                  "Bad request: only GET /metrics is served\n");
    }
    co_await asio::async_write(peer->socket, asio::buffer(peer->reply),
                               asio::redirect_error(asio::use_awaitable, error));
    if (!error) peer->socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
  }
  peer->close();
  self->forget(peer.get());
}

asio::awaitable<void> accept_connections(metrics_endpoint* self,
                                         std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
  for (;;) {
    asio::ip::tcp::socket socket(self->io_);
    std::error_code error;
    co_await acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, error));
    if (!acceptor->is_open()) co_return;  // replaced or closed
    if (error) {
      // Out of descriptors, say: try again shortly rather than spin.
      spdlog::warn("metrics: cannot accept a connection: {}", error.message());
      asio::steady_timer pause(self->io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    self->admit(std::make_shared<metrics_endpoint::connection>(std::move(socket)));
  }
}

metrics_endpoint::metrics_endpoint(asio::io_context& io, snapshot_provider provider,
                                   metrics_limits limits)
    : io_(io), provider_(std::move(provider)), limits_(limits) {}

metrics_endpoint::~metrics_endpoint() {
  close();
}

asio::ip::tcp::acceptor metrics_endpoint::open(const asio::ip::tcp::endpoint& where) {
  asio::ip::tcp::acceptor acceptor(io_, where.protocol());
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  if (where.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true));
  acceptor.bind(where);
  acceptor.listen();
  return acceptor;
}

void metrics_endpoint::serve(asio::ip::tcp::acceptor acceptor) {
  if (acceptor_) acceptor_->close();
  acceptor_ = std::make_shared<asio::ip::tcp::acceptor>(std::move(acceptor));
  asio::co_spawn(io_, accept_connections(this, acceptor_), asio::detached);
}

void metrics_endpoint::close() {
  if (acceptor_) {
    std::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  for (auto& peer : connections_) peer->close();
  connections_.clear();
}

std::optional<asio::ip::tcp::endpoint> metrics_endpoint::local_endpoint() const {
  if (!acceptor_ || !acceptor_->is_open()) return std::nullopt;
  return acceptor_->local_endpoint();
}

void metrics_endpoint::admit(std::shared_ptr<connection> peer) {
  // Full: the oldest connection gives way. An idle or slow client is the oldest soon, while a
  // scraper's exchange takes milliseconds, so idle connections cannot lock scrapes out.
  if (connections_.size() >= limits_.max_connections) {
    connections_.front()->close();
    connections_.pop_front();
  }
  connections_.push_back(peer);
  peer->deadline.expires_after(limits_.exchange_timeout);
  peer->deadline.async_wait([weak = std::weak_ptr<connection>(peer)](const std::error_code& error) {
    if (error) return;  // cancelled: the exchange ended first
    if (auto alive = weak.lock()) alive->close();
  });
  asio::co_spawn(io_, answer_connection(this, std::move(peer)), asio::detached);
}

void metrics_endpoint::forget(const connection* peer) {
  connections_.remove_if([peer](const auto& owned) { return owned.get() == peer; });
}

}  // namespace udpecho
