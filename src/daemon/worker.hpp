// One worker: a thread running its own io_context and echo_service over its own sockets.
//
// Nothing is shared between workers while they run: each has its counters, its peer tally and its
// abuse state; the kernel steers each source prefix to one worker (see net/socket_options.hpp).
// Others talk to a worker only by posting to its io_context, and read its figures only through
// the copy it publishes at each housekeeping (once a second) (and when it ends), under a lock of
// its own: the datagram path itself never touches memory another thread writes.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/echo_service.hpp"

namespace udpecho {

/// How many workers "workers = auto" (0) means: one per CPU this process may run on.
std::size_t resolve_worker_count(std::size_t configured);

/// How many datagram batches a socket retired by a reload may still read from the kernel queue
/// (see datagram_socket::retire): enough for a full receive buffer of small datagrams, and bounded.
inline constexpr std::size_t retire_drain_batches = 128;

class worker {
 public:
  /// Worker `number` (1, 2, ...; the number in every log line about it). Its housekeeping (the
  /// abuse guard's, then publishing the figures) runs every `housekeeping_period`.
  worker(unsigned number, std::shared_ptr<const echo_settings> settings,
         std::chrono::steady_clock::duration housekeeping_period = std::chrono::seconds(1));
  /// Stops the worker if stop() was not called.
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  unsigned number() const { return number_; }
  /// The event loop to open this worker's sockets on.
  asio::io_context& io() { return io_; }

  /// Starts the thread.
  void start();
  /// Hands a socket opened on io() to the worker; it serves it before this returns.
  void serve(std::unique_ptr<datagram_socket> socket);
  /// Winds down the worker's sockets bound to `endpoint`, whose sockets bound beside them take
  /// over (see echo_service::retire); the future is ready once they are closed.
  std::future<void> retire(const asio::ip::udp::endpoint& endpoint);
  /// Datagrams the worker takes after this returns use these settings.
  void update(std::shared_ptr<const echo_settings> settings);
  /// Answers what the sockets have read, closes them, ends the thread and waits for it.
  /// Idempotent. `drain_batches` is how much of the kernel queues is read first.
  void stop(std::size_t drain_batches = 0);

  /// What the worker has counted: as of its last publication (about a second old at most) while it
  /// runs, and final after stop().
  echo_figures figures() const;
  /// Publishes the figures now, from the worker's thread, and waits: figures() is then exact.
  void refresh();

  /// Whether the worker's loop has turned within `limit` (its housekeeping runs every second).
  bool turning(std::chrono::seconds limit) const;

 private:
  friend asio::awaitable<void> keep_house(worker* self);
  void publish();
  /// Runs `action` on the worker's thread and waits for it; runs it here when no thread runs.
  void run_on_worker(const std::function<void()>& action);

  unsigned number_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_;
  echo_service service_;
  asio::steady_timer housekeeping_;
  std::chrono::steady_clock::duration housekeeping_period_;
  bool stopping_ = false;  // worker's thread only: stop() has begun, the housekeeping ends
  std::thread thread_;
  std::atomic<bool> running_{false};                          // the thread is in io_.run()
  std::atomic<std::chrono::steady_clock::rep> last_turn_{0};  // of the housekeeping, since epoch
  // Written by the worker's thread, read by others; on a cache line of its own.
  alignas(64) mutable std::mutex published_mutex_;
  echo_figures published_;
};

}  // namespace udpecho
