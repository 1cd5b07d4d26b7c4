// Waiting for a UDP socket to become readable without one epoll_ctl() per wait.
//
// Why: Asio 1.22's async_wait() is a reactor operation that may not be tried speculatively, and
// for those the reactor re-arms the descriptor, epoll_ctl(EPOLL_CTL_MOD), on every wait, so that
// readiness which came before the wait is reported again. That is one system call per ping-pong
// round trip on top of epoll_wait(), recvmmsg() and sendmmsg(). The descriptor is registered
// edge-triggered for input once, when the socket is opened; a wait that starts right after a
// receive found the queue empty (recvmmsg() returned fewer datagrams than asked, or EAGAIN),
// with no turn of the event loop in between, needs no re-arming: every datagram that arrives
// later raises a new edge, which epoll_wait() reports.
//
// How: the reactor's speculative path queues an operation without epoll_ctl() when the
// operation's own first attempt says "not yet". This operation's first attempt, made inside
// start_op(), says so without a system call; the reactor's later attempt, on the readiness
// event, completes it. This uses Asio's reactor interface (asio::detail), which Asio does not
// promise to keep: it is checked against the Asio version it was written for.
#pragma once

#include <asio/async_result.hpp>
#include <asio/detail/reactor.hpp>
#include <asio/detail/reactor_op.hpp>
#include <asio/ip/udp.hpp>
#include <asio/version.hpp>
#include <memory>
#include <system_error>
#include <utility>

#if ASIO_VERSION < 102200 || ASIO_VERSION >= 102400 || !defined(ASIO_HAS_EPOLL) || \
    defined(ASIO_HAS_IO_URING_AS_DEFAULT)
#error "readable_wait.hpp relies on the epoll reactor of Asio 1.22/1.23; check start_op() again"
#endif

namespace udpecho {

/// A UDP socket that can also wait for readability without re-arming the descriptor. Its
/// io_context must be run by one thread.
class readable_socket : public asio::ip::udp::socket {
 public:
  explicit readable_socket(asio::ip::udp::socket&& socket)
      : asio::ip::udp::socket(std::move(socket)) {}

  /// Completes (with an error_code) when the socket becomes readable. Call it only right after a
  /// receive found the socket's queue empty, with no turn of the event loop since (see above);
  /// otherwise a datagram that came in between may go unnoticed until the next one comes.
  template <class CompletionToken>
  auto async_wait_readable(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler) { start(std::move(handler)); }, token);
  }

 private:
  template <class Handler>
  class operation : public asio::detail::reactor_op {
   public:
    explicit operation(Handler handler)
        : reactor_op(std::error_code(), &operation::perform_step, &operation::complete),
          handler_(std::move(handler)) {}

    bool speculative = false;  // set only while start_op() runs

   private:
    static status perform_step(reactor_op* base) {
      auto* self = static_cast<operation*>(base);
      // start_op()'s attempt: the queue was empty a moment ago. Any later attempt is the
      // reactor's, on a readiness event (or an error).
      return self->speculative ? not_done : done;
    }

    static void complete(void* owner, asio::detail::operation* base, const std::error_code&,
                         std::size_t) {
      std::unique_ptr<operation> self(static_cast<operation*>(base));
      Handler handler = std::move(self->handler_);
      const std::error_code error = self->ec_;
      self.reset();  // freed before the handler runs: it may start the next wait
      if (owner != nullptr) std::move(handler)(error);  // else the io_context is being destroyed
    }

    Handler handler_;
  };

  template <class Handler>
  void start(Handler handler) {
    auto& impl = impl_.get_implementation();
    auto& reactor = asio::use_service<asio::detail::reactor>(
        asio::query(get_executor(), asio::execution::context));
    auto* op = new operation<Handler>(std::move(handler));
    op->speculative = true;
    reactor.start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, op,
                     /*is_continuation=*/false, /*allow_speculative=*/true);
    // Still ours to touch: the operation completes only from the event loop, which runs on this
    // thread (each io_context of the daemon has one) once this handler returns.
    op->speculative = false;
  }
};

}  // namespace udpecho
