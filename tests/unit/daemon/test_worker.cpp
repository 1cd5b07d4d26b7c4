#include <doctest/doctest.h>
#include <sched.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>

#include "config_helpers.hpp"
#include "daemon/net/listeners.hpp"
#include "daemon/worker.hpp"

using namespace udpecho;

namespace {
// Gives `w` a socket on 127.0.0.1, on a port the kernel chooses, starts it and returns the address.
asio::ip::udp::endpoint serve_on_loopback(worker& w) {
  auto socket = open_bound_socket(w.io(), {asio::ip::make_address("127.0.0.1"), 0}, false);
  const auto where = socket.local_endpoint();
  w.serve(std::make_unique<datagram_socket>(std::move(socket), false));
  w.start();
  return where;
}
}  // namespace

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
  const auto where = serve_on_loopback(w);

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

TEST_CASE("stop ends the worker even when its housekeeping timer has just fired") {
  // With a zero period the housekeeping completes on every turn of the loop, so stop() almost
  // always finds its completion already queued, where cancelling the timer no longer reaches it.
  // A stop that relied on the cancellation would wait forever: each try is given 5 seconds.
  auto settings = std::make_shared<echo_settings>();
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto w = std::make_unique<worker>(1, settings, std::chrono::milliseconds(0));
    w->start();
    auto stopped = std::async(std::launch::async, [&w] { w->stop(); });
    if (stopped.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      // The stuck thread cannot be joined, so the test cannot end the usual way: say why, and go.
      std::fprintf(stderr, "FAILED: worker::stop() did not return within 5 seconds (attempt %d)\n",
                   attempt);
      std::_Exit(1);
    }
  }
}

TEST_CASE("new settings apply to the peer whose datagrams came just before them") {
  // The checks of a source are made once for a run of datagrams from one peer; new settings end
  // the run, so a peer that a reload denies is denied from its next datagram on.
  auto open = std::make_shared<echo_settings>();
  open->reply_prefix = "re:";
  open->abuse.rate.rate = 0;
  auto denying = std::make_shared<echo_settings>(*open);
  denying->abuse = testing::abuse_settings_of("deny = 127.0.0.1\nrate_limit = 0\n");

  worker w(1, open);
  const auto where = serve_on_loopback(w);
  asio::io_context io;
  asio::ip::udp::socket client(io, asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
  char reply[64];
  asio::ip::udp::endpoint from;
  for (int i = 0; i < 3; ++i) {
    client.send_to(asio::buffer("ping", 4), where);
    CHECK(std::string(reply, client.receive_from(asio::buffer(reply), from)) == "re:ping");
  }
  w.update(denying);
  for (int i = 0; i < 3; ++i) client.send_to(asio::buffer("ping", 4), where);
  // They are not answered, so the count of what the worker read says when it has taken them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    w.refresh();
  } while (w.figures().traffic.datagrams < 6 && std::chrono::steady_clock::now() < deadline);
  REQUIRE(w.figures().traffic.datagrams == 6);
  w.update(open);
  client.send_to(asio::buffer("last", 4), where);
  // Replies come in order: the first one after the three denied datagrams is to "last".
  CHECK(std::string(reply, client.receive_from(asio::buffer(reply), from)) == "re:last");
  w.stop();
  const auto figures = w.figures();
  CHECK(figures.traffic.datagrams == 7);
  CHECK(figures.traffic.replies == 4);
  CHECK(figures.drops.denied == 3);
}
