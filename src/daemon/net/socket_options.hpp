// Every socket option udpechod sets or reads, in one place: receive buffer, packet info,
// SO_REUSEPORT with the program that steers sources to workers, IPv6-only, non-blocking mode.
//
// Workers and steering: with `workers` > 1 each worker has its own socket per address, all bound
// to the same address and port with SO_REUSEPORT, so the kernel delivers each datagram to one of
// them. By default it picks by a hash of address and port, so one source's ports could reach
// several workers. The program attached by steer_sources_to_workers() picks by the first
// rate_prefix_v4/rate_prefix_v6 bits of the source address instead, so every datagram of a
// rate-limited prefix reaches the same worker, and each worker can apply the full rate limit to
// its prefixes without sharing state. This is the one place that explains it.
#pragma once

#include <asio/ip/udp.hpp>
#include <cstddef>

namespace udpecho {

/// Asks for a large receive buffer (room for bursts). Best effort: failure leaves the default.
void set_receive_buffer(asio::ip::udp::socket& socket);

/// Turns packet info on, so that a wildcard socket learns each datagram's destination address
/// (and replies can leave from it). Throws std::system_error.
void enable_packet_info(asio::ip::udp::socket& socket);

/// Lets several sockets bind the same address and port (workers; the new socket of a reload
/// before the old one closes). Throws std::system_error.
void enable_reuse_port(asio::ip::udp::socket& socket);

/// Whether the socket has SO_REUSEPORT (a socket passed by systemd needs ReusePort=yes).
bool has_reuse_port(int descriptor);

/// For an IPv6 socket: whether it also takes IPv4 (false) or not (true). Call before bind.
void set_v6_only(asio::ip::udp::socket& socket, bool v6_only);

/// Whether an IPv6 socket takes IPv6 only (false for IPv4 sockets).
bool is_v6_only(int descriptor);

/// Non-blocking mode: the echo uses recvmmsg()/sendmmsg() with readiness waits.
void set_non_blocking(asio::ip::udp::socket& socket);
/// The same for a descriptor Asio does not own (libsystemd's journal socket); false on failure.
bool set_non_blocking(int descriptor);

/// The socket type and address family of a descriptor (SO_TYPE, SO_DOMAIN); -1 when unknown.
int socket_type(int descriptor);
int socket_domain(int descriptor);

/// Everything a socket passed by the service manager gets so that it is served like one we bound:
/// the receive buffer, non-blocking mode, packet info when bound to a wildcard address.
void prepare_inherited_socket(asio::ip::udp::socket& socket);

/// Makes the kernel queue no new datagram for this socket while it is drained: it is connected to
/// its own address, which sends nothing, and the kernel then prefers the other sockets bound to
/// the address for every other source. Only for a socket whose whole SO_REUSEPORT group goes: a
/// connected member would turn off steering for its group. Best effort.
void stop_receiving_new(asio::ip::udp::socket& socket);

/// Attaches the steering program to the SO_REUSEPORT group `socket` belongs to: the group's
/// sockets, in bind order, are workers 1..`workers`; each source prefix goes to one of them (see
/// the top of this file). Replaces any program attached before. Returns false (and logs a warning)
/// when the kernel refuses it.
bool steer_sources_to_workers(asio::ip::udp::socket& socket, std::size_t workers,
                              unsigned prefix_v4, unsigned prefix_v6);

}  // namespace udpecho
