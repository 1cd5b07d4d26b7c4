#include <doctest/doctest.h>
#include <sched.h>
#include <sys/socket.h>

#include <asio/io_context.hpp>

#include "daemon/worker_pool.hpp"

using namespace udpecho;

TEST_CASE("workers = auto is one per usable CPU; a number is itself") {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  REQUIRE(sched_getaffinity(0, sizeof cpus, &cpus) == 0);
  CHECK(resolve_worker_count(0) == static_cast<std::size_t>(CPU_COUNT(&cpus)));
  CHECK(resolve_worker_count(1) == 1);
  CHECK(resolve_worker_count(7) == 7);
}

TEST_CASE("an inherited socket is shared by all workers only when it has SO_REUSEPORT") {
  asio::io_context io;
  auto plain = open_bound_socket(io, asio::ip::make_address("127.0.0.1"), 0, false, false);
  auto shared = open_bound_socket(io, asio::ip::make_address("127.0.0.1"), 0, false, true);
  CHECK(workers_for_inherited_socket(plain.native_handle(), 4) == 1);
  CHECK(workers_for_inherited_socket(shared.native_handle(), 4) == 4);
  CHECK(workers_for_inherited_socket(shared.native_handle(), 1) == 1);
}

TEST_CASE("a pool's summary adds up its workers and stop() is idempotent") {
  auto settings = std::make_shared<const echo_settings>();
  worker_pool pool(3, settings);
  CHECK(pool.size() == 3);
  pool.start();
  pool.stop();
  pool.stop();
  CHECK(pool.counters().datagrams == 0);
  CHECK(pool.summary().starts_with("0 datagrams (0 bytes) from 0 peers; 0 replies"));
}
