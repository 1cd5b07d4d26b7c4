// Worker threads: each runs its own io_context and echo_service over its own sockets.
//
// Nothing is shared between workers while they run: each has its counters, its peer tally and
// (through its echo_service) its per-source state. The kernel steers every source address to one
// worker (see steer_sources_to_workers), so per-worker state is exact per source, and the totals
// are sums taken after the threads have been joined, which orders them after every write.
#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/echo_service.hpp"

namespace udpecho {

/// How many workers "workers = auto" (0) means: one per CPU this process may run on.
std::size_t resolve_worker_count(std::size_t configured);

/// Socket activation hands over one socket. How many workers can serve it: all `configured` of
/// them when it has SO_REUSEPORT (ReusePort=yes in the socket unit), since the others can then bind
/// their own sockets to its address and port (pass reuse_port to open_bound_socket, then
/// steer_sources_to_workers on the last); otherwise 1, and a warning says why.
std::size_t workers_for_inherited_socket(int descriptor, std::size_t configured);

class worker_pool {
 public:
  worker_pool(std::size_t count, const std::shared_ptr<const echo_settings>& settings);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  std::size_t size() const { return workers_.size(); }
  /// Worker `index`'s event loop, to open its sockets on.
  asio::io_context& io(std::size_t index) { return workers_[index]->io; }
  /// Hands a socket opened on io(index) to that worker; call before start().
  void serve(std::size_t index, std::unique_ptr<datagram_socket> socket);

  /// Starts one thread per worker.
  void start();
  /// Later datagrams on every worker use these settings (posted to each worker's thread).
  void update(std::shared_ptr<const echo_settings> settings);
  /// Closes every socket, ends the threads and waits for them. Idempotent.
  void stop();

  /// Counters summed over the workers; only valid after stop().
  traffic_counters counters() const;
  /// Adds every worker's figures to `totals`; only valid after stop().
  void add_to(summary_totals& totals) const;
  /// The stop summary over all workers (see echo_service::summary); only valid after stop().
  std::string summary() const;
  /// One worker's share of the summary, to show how evenly the kernel spread the sources.
  std::string summary(std::size_t index) const { return workers_[index]->service.summary(); }
  /// Worker `index`'s service; read it only on that worker's thread (post to io(index)).
  const echo_service& service(std::size_t index) const { return workers_[index]->service; }

 private:
  struct worker {
    explicit worker(const std::shared_ptr<const echo_settings>& settings) : service(settings) {}
    asio::io_context io{1};
    echo_service service;
    std::thread thread;
  };
  std::vector<std::unique_ptr<worker>> workers_;
};

}  // namespace udpecho
