#include <doctest/doctest.h>
#include <sys/socket.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include "daemon/net/listeners.hpp"
#include "daemon/net/socket_options.hpp"

using namespace udpecho;

namespace {
int receive_buffer(asio::ip::udp::socket& socket) {
  int value = 0;
  socklen_t length = sizeof value;
  getsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &value, &length);
  return value;
}
}  // namespace

TEST_CASE("an inherited socket can be shared by workers only when it has SO_REUSEPORT") {
  asio::io_context io;
  asio::ip::udp::socket plain(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto shared = open_bound_socket(io, {asio::ip::make_address("127.0.0.1"), 0}, false);
  CHECK_FALSE(has_reuse_port(plain.native_handle()));
  CHECK(has_reuse_port(shared.native_handle()));
}

TEST_CASE("a socket passed by the manager gets the receive buffer of one we bind") {
  asio::io_context io;
  asio::ip::udp::socket inherited(io,
                                  asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto bound = open_bound_socket(io, {asio::ip::make_address("127.0.0.1"), 0}, false);
  const int before = receive_buffer(inherited);
  prepare_inherited_socket(inherited);
  CHECK(receive_buffer(inherited) == receive_buffer(bound));
  CHECK(receive_buffer(inherited) > before);
  CHECK(inherited.non_blocking());
}

TEST_CASE("\"::\" is IPv6-only when asked, dual stack otherwise") {
  asio::io_context io;
  auto dual = open_bound_socket(io, {asio::ip::make_address("::"), 0}, false);
  auto v6 = open_bound_socket(io, {asio::ip::make_address("::"), 0}, true);
  CHECK_FALSE(is_v6_only(dual.native_handle()));
  CHECK(is_v6_only(v6.native_handle()));
}

TEST_CASE("new sockets bind beside old ones on an overlapping address and port") {
  asio::io_context io;
  auto loopback = open_bound_socket(io, {asio::ip::make_address("127.0.0.1"), 0}, false);
  const auto port = loopback.local_endpoint().port();
  CHECK_NOTHROW(open_bound_socket(io, {asio::ip::make_address("0.0.0.0"), port}, false));
  CHECK_NOTHROW(open_bound_socket(io, {asio::ip::make_address("::"), port}, false));
  CHECK_THROWS_AS(check_port_free({asio::ip::make_address("127.0.0.1"), port}, false), bind_error);
}
