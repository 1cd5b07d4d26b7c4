#include "daemon/worker_pool.hpp"

#include <sched.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>
#include <asio/post.hpp>
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

std::size_t workers_for_inherited_socket(int descriptor, std::size_t configured) {
  if (configured <= 1) return 1;
  int reuse_port = 0;
  socklen_t length = sizeof reuse_port;
  if (getsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &reuse_port, &length) == 0 &&
      reuse_port != 0) {
    return configured;
  }
  // Sharing the one descriptor would wake every worker for each datagram and split each source's
  // traffic between them, which per-worker limits cannot allow for.
  spdlog::warn(
      "workers = {}, but the socket systemd passed is not SO_REUSEPORT; serving it with "
      "1 worker (set ReusePort=yes in the socket unit to use all {})",
      configured, configured);
  return 1;
}

worker_pool::worker_pool(std::size_t count, const std::shared_ptr<const echo_settings>& settings) {
  for (std::size_t i = 0; i < count; ++i) workers_.push_back(std::make_unique<worker>(settings));
}

worker_pool::~worker_pool() {
  stop();
}

void worker_pool::serve(std::size_t index, std::unique_ptr<datagram_socket> socket) {
  auto& w = *workers_[index];
  w.service.serve(w.io, std::move(socket));
}

void worker_pool::start() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    worker* w = workers_[i].get();
    w->thread = std::thread([w, i] {
      try {
        w->io.run();
      } catch (const std::exception& e) {
        spdlog::critical("worker {} stopped: {}", i + 1, e.what());
      }
    });
  }
}

void worker_pool::update(std::shared_ptr<const echo_settings> settings) {
  for (auto& w : workers_) {
    asio::post(w->io, [service = &w->service, settings] { service->update(settings); });
  }
}

void worker_pool::stop() {
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    asio::post(w->io, [raw = w.get()] {
      raw->service.stop();
      raw->io.stop();
    });
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

traffic_counters worker_pool::counters() const {
  traffic_counters total;
  for (const auto& w : workers_) total += w->service.counters();
  return total;
}

void worker_pool::add_to(summary_totals& totals) const {
  for (const auto& w : workers_) totals.add(w->service);
}

std::string worker_pool::summary() const {
  summary_totals totals;
  for (const auto& w : workers_) totals.add(w->service);
  return totals.format();
}

}  // namespace udpecho
