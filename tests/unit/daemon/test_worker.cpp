#include <doctest/doctest.h>
#include <sched.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <string>

#include "daemon/net/listeners.hpp"
#include "daemon/worker.hpp"

using namespace udpecho;

TEST_CASE("workers = auto is one per usable CPU; a number is itself") {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  REQUIRE(sched_getaffinity(0, sizeof cpus, &cpus) == 0);
  CHECK(resolve_worker_count(0) == static_cast<std::size_t>(CPU_COUNT(&cpus)));
  CHECK(resolve_worker_count(1) == 1);
  CHECK(resolve_worker_count(7) == 7);
}

TEST_CASE("a worker answers on its own thread and its figures count what it answered") {
  auto settings = std::make_shared<echo_settings>();
  settings->reply_prefix = "re:";
  settings->abuse.rate.rate = 0;
  worker w(1, settings);
  auto socket = open_bound_socket(w.io(), {asio::ip::make_address("127.0.0.1"), 0}, false);
  const auto where = socket.local_endpoint();
  w.serve(std::make_unique<datagram_socket>(std::move(socket), false));
  w.start();

  asio::io_context io;
  asio::ip::udp::socket client(io, asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
  for (int i = 0; i < 5; ++i) {
    const std::string payload = "ping " + std::to_string(i);
    client.send_to(asio::buffer(payload), where);
    char reply[64];
    asio::ip::udp::endpoint from;
    const auto size = client.receive_from(asio::buffer(reply), from);
    CHECK(std::string(reply, size) == "re:" + payload);
  }
  w.stop();
  w.stop();  // idempotent
  const auto figures = w.figures();
  CHECK(figures.traffic.datagrams == 5);
  CHECK(figures.traffic.replies == 5);
  CHECK(figures.traffic.bytes_sent == 5 * std::string("re:ping 0").size());
  CHECK(figures.peers == 1);
  CHECK(figures.format().starts_with("5 datagrams (30 bytes) from 1 peers; 5 replies (45 bytes)"));
}
