#include "daemon/worker.hpp"

#include <sched.h>

#include <spdlog/details/os.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

#include "daemon/config.hpp"

namespace udpecho {

std::size_t resolve_worker_count(std::size_t configured) {
  if (configured != 0) return configured;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) return 1;
  const int count = CPU_COUNT(&cpus);
  return count > 0 ? std::min<std::size_t>(static_cast<std::size_t>(count), max_workers) : 1;
}

// Once a second: the abuse guard's housekeeping, then the figures for STATUS= and metrics.
asio::awaitable<void> keep_house(worker* self) {
  for (;;) {
    self->housekeeping_.expires_after(self->housekeeping_period_);
    asio::error_code ignored;
    co_await self->housekeeping_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    // Not the error code: a timer that had already fired when stop() cancelled it completes
    // without one, and waiting again would keep the loop, and stop(), running for ever.
    if (self->stopping_) co_return;
    self->service_.tick();
    self->publish();
    self->last_turn_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                           std::memory_order_relaxed);
  }
}

worker::worker(unsigned number, std::shared_ptr<const echo_settings> settings,
               std::chrono::steady_clock::duration housekeeping_period)
    : number_(number),
      keep_running_(io_.get_executor()),
      service_(std::move(settings)),
      housekeeping_(io_),
      housekeeping_period_(housekeeping_period) {}

worker::~worker() {
  stop();
}

void worker::start() {
  last_turn_ = std::chrono::steady_clock::now().time_since_epoch().count();
  asio::co_spawn(io_, keep_house(this), asio::detached);
  running_ = true;
  thread_ = std::thread([this] {
    // spdlog puts the thread's id in every record and asks the kernel for it once per thread:
    // asked here, the first datagram's log line costs no system call.
    spdlog::details::os::thread_id();
    try {
      io_.run();
    } catch (const std::exception& e) {
      spdlog::critical("worker {} stopped: {}", number_, e.what());
    }
    running_ = false;
    publish();
  });
}

void worker::run_on_worker(const std::function<void()>& action) {
  if (!running_) {
    action();
    return;
  }
  std::promise<void> done;
  auto finished = done.get_future();
  asio::post(io_, [&action, &done] {
    action();
    done.set_value();
  });
  // A worker that died (its crash is logged) never runs the handler.
  while (finished.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (running_) continue;
    // io_.run() has returned, so the handler can no longer run there.
    if (finished.wait_for(std::chrono::seconds(0)) != std::future_status::ready) action();
    return;
  }
}

void worker::serve(std::unique_ptr<datagram_socket> socket) {
  run_on_worker([this, &socket] { service_.serve(io_, std::move(socket)); });
}

std::future<void> worker::retire(const asio::ip::udp::endpoint& endpoint) {
  auto closed = std::make_shared<std::promise<void>>();
  auto future = closed->get_future();
  run_on_worker([this, &endpoint, closed] {
    service_.retire(&endpoint, retire_drain_batches, true, [closed] { closed->set_value(); });
  });
  return future;
}

void worker::update(std::shared_ptr<const echo_settings> settings) {
  run_on_worker([this, &settings] { service_.update(settings); });
}

void worker::stop(std::size_t drain_batches) {
  if (!thread_.joinable()) return;
  // The loop ends by itself once the sockets' coroutines have answered what they read and the
  // timer is gone: nothing read is left unanswered.
  asio::post(io_, [this, drain_batches] {
    stopping_ = true;
    service_.retire(nullptr, drain_batches, false);
    housekeeping_.cancel();
    keep_running_.reset();
  });
  thread_.join();
}

void worker::publish() {
  auto figures = service_.figures();
  std::lock_guard lock(published_mutex_);
  published_ = figures;
}

void worker::refresh() {
  run_on_worker([this] { publish(); });
}

bool worker::turning(std::chrono::seconds limit) const {
  const std::chrono::steady_clock::duration since_epoch(last_turn_.load(std::memory_order_relaxed));
  return running_ &&
         std::chrono::steady_clock::now() - std::chrono::steady_clock::time_point(since_epoch) <=
             limit;
}

echo_figures worker::figures() const {
  std::lock_guard lock(published_mutex_);
  return published_;
}

}  // namespace udpecho
