// Which sockets udpechod listens on: binding the configured addresses, and working out what a
// reload that changes `bind` or `port` must open and close.
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

/// Whether `address` is in `list`.
bool contains(const std::vector<asio::ip::address>& list, const asio::ip::address& address);

/// "::" takes IPv4 as well, unless an IPv4 address is also configured: both would then claim the
/// same IPv4 port. Decided from the whole `bind` list, never from a part of it.
bool wants_v6_only(const std::vector<asio::ip::address>& bind);

/// Opens a UDP socket bound to `endpoint` with SO_REUSEPORT, so that every worker can bind its own
/// socket there and a reload can bind a new socket before it closes the old one. It gets the
/// receive buffer, non-blocking mode and, on a wildcard address, packet info; "::" takes IPv4 too
/// unless `v6_only`. Throws bind_error naming the endpoint and the OS reason.
asio::ip::udp::socket open_bound_socket(asio::io_context& io,
                                        const asio::ip::udp::endpoint& endpoint, bool v6_only);

/// Throws bind_error when something other than udpechod's own sockets holds `endpoint`:
/// SO_REUSEPORT would otherwise let a second udpechod share the port silently. Binds and closes a
/// plain socket.
void check_port_free(const asio::ip::udp::endpoint& endpoint, bool v6_only);

/// Attaches the steering program for `workers` (see steer_sources_to_workers) to the SO_REUSEPORT
/// group of the sockets already bound to `endpoint`, through a socket that joins the group last,
/// so the program never picks it, and is closed at once. Logs a warning when that fails.
void steer_listener(const asio::ip::udp::endpoint& endpoint, bool v6_only, std::size_t workers,
                    unsigned prefix_v4, unsigned prefix_v6);

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
