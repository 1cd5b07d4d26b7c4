// The daemon's UDP socket layer: one datagram per co_await above, batched system calls below.
//
// try_receive() and receive() hand out one datagram at a time from a recvmmsg() batch;
// queue_reply() queues a reply that is written with sendmmsg() when the batch is drained or the
// queue is full. Replies leave from the address their request was sent to (IP_PKTINFO /
// IPV6_PKTINFO) on wildcard sockets.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include "daemon/net/readable_wait.hpp"

namespace udpecho {

/// How many datagrams one recvmmsg()/sendmmsg() moves at most.
inline constexpr std::size_t datagram_batch_size = 64;

/// One received datagram. It stays valid until receive() is called again after the replies to
/// its batch have been sent, i.e. for the whole of the loop iteration that handles it.
struct datagram {
  asio::ip::udp::endpoint peer;  // as the kernel reports it: IPv4-mapped on a dual-stack socket
  std::string_view payload;
  std::optional<asio::ip::address> destination;  // the address it was sent to, if known
  unsigned destination_ifindex = 0;
  bool destination_is_broadcast = false;  // IPv4 packet info: sent to a broadcast address
};

/// Counts of what went wrong below the datagrams themselves.
struct socket_error_counters {
  std::uint64_t receive_errors = 0;  // ICMP errors queued on the socket, ENOMEM, ...
  std::uint64_t send_errors = 0;     // replies the kernel refused
};

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
  /// kernel to have one if need be. After retire(): null once the datagrams already read are
  /// handed out and their replies sent, and the kernel queue is drained (at most `drain_batches`
  /// more batches); the socket is then done and may be closed.
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

  /// Sends every queued reply. A reply the kernel refuses is counted and dropped; the rest go.
  asio::awaitable<void> flush();

  asio::ip::udp::endpoint local_endpoint() const { return local_endpoint_; }
  const socket_error_counters& errors() const { return errors_; }
  /// Winds the socket down without losing what was read: receive() hands out the rest of the
  /// current batch, reads what the kernel still holds (up to `drain_batches` batches, no waiting),
  /// then returns null. A pending wait ends at once. Closing is left to whoever owns the socket.
  /// With `hand_over`, the kernel stops queueing datagrams for it first, so that new ones go to
  /// the sockets bound beside it and the drain loses nothing (see stop_receiving_new).
  void retire(std::size_t drain_batches, bool hand_over);
  bool retiring() const { return retiring_; }

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
  datagram* datagrams_;    // the batch, in buffers_
  mmsghdr* send_headers_;  // the replies' headers and data, in buffers_
  std::array<iovec, 2>* send_iov_;
  std::size_t received_ = 0;                         // datagrams in the current batch
  std::size_t next_ = 0;                             // the next one receive() hands out
  std::size_t queued_ = 0;                           // replies waiting for flush()
  std::size_t receive_limit_ = datagram_batch_size;  // datagrams the next recvmmsg() may take
  std::size_t requested_ = 0;                        // ... and what the last one asked for
  std::size_t filled_ = 0;  // headers the last recvmmsg() filled (and changed)
  unsigned batches_without_wait_ = 0;
  std::uint64_t large_slots_ = 0;  // slots that held a large datagram since the last release
  std::chrono::steady_clock::time_point last_release_;
  bool yielded_ = false;       // the event loop ran since the last recvmmsg()
  bool flush_waited_ = false;  // ... because flush() waited for room to send (since receive())
  socket_error_counters errors_;
  asio::ip::udp::endpoint local_endpoint_;  // kept: asking the kernel would be a system call
  bool retiring_ = false;
  std::size_t drain_batches_ = 0;  // batches retire() still lets receive() read
};

}  // namespace udpecho
