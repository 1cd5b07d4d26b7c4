// Which sockets udpechod listens on: binding the configured addresses at start, and working out
// what a reload that changes `bind` or `port` must open and close.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace udpecho {

/// A configured address could not be bound; what() names it and the OS reason.
class bind_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "::" takes IPv4 as well, unless an IPv4 address is also configured: both would then claim the
/// same IPv4 port, and the second bind would fail.
bool wants_v6_only(const std::vector<asio::ip::address>& bind);

/// Opens a socket on each address on `port`. With port 0 the kernel picks a port for the first
/// address and the others share it. Logs "listening on ADDR:PORT" for each; throws bind_error.
/// With `reuse_port`, other workers' sockets may later bind the same addresses and port.
std::vector<asio::ip::udp::socket> bind_sockets(asio::io_context& io,
                                                const std::vector<asio::ip::address>& bind,
                                                std::uint16_t port, bool reuse_port = false);

/// What a reload does to the sockets when `bind`/`port` change. Sockets for addresses in both
/// lists stay open (their queued datagrams are not lost) unless the port or the dual-stack
/// behaviour of "::" changes; with port 0 every socket is replaced, so that all share a new port.
struct rebind_plan {
  bool changed = false;                 // false: keep every socket as it is
  std::vector<asio::ip::address> keep;  // served on, untouched
  std::vector<asio::ip::address> open;  // bound before anything is closed
  std::vector<asio::ip::address> close;
};

rebind_plan plan_rebind(const std::vector<asio::ip::address>& old_bind, std::uint16_t old_port,
                        const std::vector<asio::ip::address>& new_bind, std::uint16_t new_port);

}  // namespace udpecho
