// The daemon's UDP socket layer: one datagram per co_await above, batched system calls below.
//
// receive() hands out one datagram at a time from a recvmmsg() batch; send() queues a reply that
// is written with sendmmsg() when the batch is drained or the queue is full. Replies leave from
// the address their request was sent to (IP_PKTINFO / IPV6_PKTINFO) on wildcard sockets.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include "daemon/net/readable_wait.hpp"

namespace udpecho {

/// The largest UDP payload over IPv4 (65535 - 20 - 8) and over IPv6 without jumbograms (65535 - 8).
inline constexpr std::size_t max_udp_payload_v4 = 65507;
inline constexpr std::size_t max_udp_payload_v6 = 65527;

/// How many datagrams one recvmmsg()/sendmmsg() moves at most.
inline constexpr std::size_t datagram_batch_size = 64;

/// One received datagram. It stays valid until receive() is called again after the replies to
/// its batch have been sent, i.e. for the whole of the loop iteration that handles it.
struct datagram {
  asio::ip::udp::endpoint peer;  // as the kernel reports it: IPv4-mapped on a dual-stack socket
  std::string_view payload;
  bool truncated = false;              // larger than the receive slot; payload is cut
  std::optional<asio::ip::address> destination;  // the address it was sent to, if known
  unsigned destination_ifindex = 0;
  bool destination_is_broadcast = false;  // IPv4 packet info: sent to a broadcast address
};

/// Counts of what went wrong below the datagrams themselves.
struct socket_error_counters {
  std::uint64_t receive_errors = 0;  // ICMP errors queued on the socket, ENOMEM, ...
  std::uint64_t send_errors = 0;     // replies the kernel refused
  std::error_code last_receive_error;
  std::error_code last_send_error;
};

/// The largest payload a datagram to `peer` may carry; IPv4-mapped peers get the IPv4 limit.
std::size_t max_payload_to(const asio::ip::udp::endpoint& peer);

/// Opens a UDP socket bound to address:port. Wildcard sockets get packet-info on so that replies
/// can leave from the request's destination; "::" takes IPv4 too unless `v6_only`. With
/// `reuse_port`, several sockets (one per worker) may bind the same address and port.
/// Throws std::system_error naming the OS reason.
asio::ip::udp::socket open_bound_socket(asio::io_context& io, const asio::ip::address& address,
                                        std::uint16_t port, bool v6_only, bool reuse_port = false);

/// Makes the kernel hand every datagram from one source prefix (the first prefix_v4 or prefix_v6
/// bits of its address) to the same socket of the SO_REUSEPORT group `socket` belongs to (the
/// group's sockets in bind order are the workers), so per-source state kept per worker (rate
/// buckets per prefix, say) sees all of that source's traffic. Without it the kernel hashes
/// address and port, and one source's ports could land on different workers. Returns false (and
/// logs a warning) when the kernel refuses the filter.
bool steer_sources_to_workers(asio::ip::udp::socket& socket, std::size_t workers,
                              unsigned prefix_v4 = 32, unsigned prefix_v6 = 128);

/// Turns packet-info on for a socket that already exists (one passed by systemd, say).
void enable_packet_info(asio::ip::udp::socket& socket);

class datagram_socket {
 public:
  /// Takes over a bound socket. Packet info is used when `reply_from_destination` is true.
  datagram_socket(asio::ip::udp::socket socket, bool reply_from_destination);
  ~datagram_socket();
  datagram_socket(const datagram_socket&) = delete;
  datagram_socket& operator=(const datagram_socket&) = delete;

  /// The next datagram of the batch at hand, or nullptr once it is used up (then receive()).
  /// An ordinary call: most datagrams come this way, without a coroutine frame or a resumption.
  const datagram* try_receive() { return next_ < received_ ? &datagrams_[next_++] : nullptr; }

  /// The next datagram: sends the queued replies, then reads the next batch, waiting for the
  /// kernel to have one if need be.
  asio::awaitable<const datagram*> receive();

  /// Queues `prefix` + `payload` as one reply to `request`. Both views must stay valid until the
  /// next receive(); the payload normally points into the request itself. Returns true when the
  /// queue is full: flush() must then be awaited before the next reply is queued.
  /// Inline: it runs for every reply; only packet info for a wildcard socket is out of line.
  bool queue_reply(const datagram& request, std::string_view prefix, std::string_view payload) {
    const std::size_t index = queued_++;
    auto& iov = send_iov_[index];
    iov[0] = {const_cast<char*>(prefix.data()), prefix.size()};
    iov[1] = {const_cast<char*>(payload.data()), payload.size()};
    auto& header = send_headers_[index].msg_hdr;
    header.msg_name = const_cast<sockaddr*>(request.peer.data());
    header.msg_namelen = static_cast<socklen_t>(request.peer.size());
    header.msg_control = nullptr;
    header.msg_controllen = 0;
    if (reply_from_destination_ && request.destination) add_packet_info(index, request);
    return queued_ == datagram_batch_size;
  }

  /// queue_reply(), and flush() when the queue is full.
  asio::awaitable<void> send(const datagram& request, std::string_view prefix,
                             std::string_view payload);

  /// Sends every queued reply. A reply the kernel refuses is counted and dropped; the rest go.
  asio::awaitable<void> flush();

  asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }
  const socket_error_counters& errors() const { return errors_; }
  void close();

 private:
  struct batch_buffers;

  void decode(std::size_t index);
  /// Makes reply `index` leave from the address `request` was sent to.
  void add_packet_info(std::size_t index, const datagram& request);
  /// Gives back the pages large datagrams made resident, if it has not done so for a second.
  void release_large_slots();

  readable_socket socket_;
  bool reply_from_destination_;
  std::unique_ptr<batch_buffers> buffers_;
  datagram* datagrams_;           // the batch, in buffers_
  mmsghdr* send_headers_;         // the replies' headers and data, in buffers_
  std::array<iovec, 2>* send_iov_;
  std::size_t received_ = 0;      // datagrams in the current batch
  std::size_t next_ = 0;          // the next one receive() hands out
  std::size_t queued_ = 0;        // replies waiting for flush()
  std::size_t receive_limit_ = datagram_batch_size;  // datagrams the next recvmmsg() may take
  std::size_t requested_ = 0;     // ... and what the last one asked for
  std::size_t filled_ = 0;        // headers the last recvmmsg() filled (and changed)
  unsigned batches_without_wait_ = 0;
  std::uint64_t large_slots_ = 0;  // slots that held a large datagram since the last release
  std::chrono::steady_clock::time_point last_release_;
  bool yielded_ = false;        // the event loop ran since the last recvmmsg()
  bool flush_waited_ = false;   // ... because flush() waited for room to send (since receive())
  socket_error_counters errors_;
};

}  // namespace udpecho
