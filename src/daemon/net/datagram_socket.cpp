#include "daemon/net/datagram_socket.hpp"

#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "daemon/net/socket_options.hpp"

namespace udpecho {
namespace {

// Every slot can hold the largest datagram, so nothing is cut. The slots are mapped, not
// allocated, so a page becomes resident only when a datagram reaches it: small traffic touches
// one page per slot. Pages past resident_slot_bytes are given back once a large datagram has
// been answered (when the socket is idle, at most once a second), and large datagrams are taken at
// most large_datagram_batch_size at a time, so the 4 MiB of slots cost about 256 KiB resident
// under small traffic and about 0.75 MiB under large (plus, until the next idle moment, one
// first batch that found up to 64 large datagrams already queued).
constexpr std::size_t slot_bytes = 65536;
constexpr std::size_t resident_slot_bytes = 16384;
constexpr std::size_t large_datagram_batch_size = 8;
constexpr std::size_t control_bytes =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo));

// Fairness: after this many batches in a row without waiting, let other sockets and signals run.
constexpr unsigned batches_before_yield = 8;

asio::ip::address address_from_v6_bytes(const in6_addr& raw) {
  asio::ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), &raw, bytes.size());
  return asio::ip::address_v6(bytes);
}

struct payload_unmap {
  void operator()(std::byte* p) const { munmap(p, datagram_batch_size * slot_bytes); }
};

std::unique_ptr<std::byte[], payload_unmap> map_payload_slots() {
  void* p = mmap(nullptr, datagram_batch_size * slot_bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  return std::unique_ptr<std::byte[], payload_unmap>(static_cast<std::byte*>(p));
}

}  // namespace

struct datagram_socket::batch_buffers {
  std::unique_ptr<std::byte[], payload_unmap> payload = map_payload_slots();
  std::array<mmsghdr, datagram_batch_size> receive_headers{};
  std::array<iovec, datagram_batch_size> receive_iov{};
  std::array<std::array<std::byte, control_bytes>, datagram_batch_size> receive_control{};
  std::array<datagram, datagram_batch_size> datagrams{};

  std::array<mmsghdr, datagram_batch_size> send_headers{};
  std::array<std::array<iovec, 2>, datagram_batch_size> send_iov{};
  std::array<std::array<std::byte, control_bytes>, datagram_batch_size> send_control{};
};

datagram_socket::datagram_socket(asio::ip::udp::socket socket, bool reply_from_destination)
    : socket_(std::move(socket)),
      reply_from_destination_(reply_from_destination),
      buffers_(std::make_unique<batch_buffers>()),
      datagrams_(buffers_->datagrams.data()),
      send_headers_(buffers_->send_headers.data()),
      send_iov_(buffers_->send_iov.data()),
      local_endpoint_(socket_.local_endpoint()) {
  set_non_blocking(socket_);
  auto& b = *buffers_;
  // What stays the same from batch to batch is set once; recvmmsg() changes only the lengths.
  for (std::size_t i = 0; i < datagram_batch_size; ++i) {
    b.receive_iov[i] = {b.payload.get() + i * slot_bytes, slot_bytes};
    auto& header = b.receive_headers[i].msg_hdr;
    header.msg_iov = &b.receive_iov[i];
    header.msg_iovlen = 1;
    header.msg_name = b.datagrams[i].peer.data();
    header.msg_namelen = static_cast<socklen_t>(b.datagrams[i].peer.capacity());
    header.msg_control = reply_from_destination_ ? b.receive_control[i].data() : nullptr;
    header.msg_controllen = reply_from_destination_ ? control_bytes : 0;
    auto& reply = b.send_headers[i].msg_hdr;
    reply.msg_iov = b.send_iov[i].data();
    reply.msg_iovlen = b.send_iov[i].size();
  }
}

datagram_socket::~datagram_socket() = default;

void datagram_socket::retire(std::size_t drain_batches, bool hand_over) {
  if (hand_over) stop_receiving_new(socket_);
  retiring_ = true;
  drain_batches_ = drain_batches;
  asio::error_code ignored;
  socket_.cancel(ignored);  // a pending wait ends with operation_aborted; see receive()
}

// Inline into receive(), its only caller, which runs it for every datagram.
[[gnu::always_inline]] inline void datagram_socket::decode(std::size_t index) {
  auto& b = *buffers_;
  auto& header = b.receive_headers[index];
  auto& d = b.datagrams[index];
  d.peer.resize(header.msg_hdr.msg_namelen);
  d.payload = std::string_view(reinterpret_cast<const char*>(b.receive_iov[index].iov_base),
                               std::min<std::size_t>(header.msg_len, slot_bytes));
  if (!reply_from_destination_) return;  // no packet info: the destination stays unknown
  d.destination.reset();
  d.destination_ifindex = 0;
  d.destination_is_broadcast = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&header.msg_hdr); c != nullptr;
       c = CMSG_NXTHDR(&header.msg_hdr, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      // On a dual-stack socket the IPv6 packet info names the destination, mapped, and replies
      // leave from it; this one only adds the broadcast flag.
      if (!d.destination) {
        d.destination = asio::ip::address_v4(ntohl(info.ipi_addr.s_addr));
        d.destination_ifindex = static_cast<unsigned>(info.ipi_ifindex);
      }
      // The kernel reports a local address other than the header's destination only when that
      // destination was not one of ours: a broadcast (or multicast) address. This holds for
      // directed broadcasts (10.0.0.255 on a /24) as well as 255.255.255.255. A datagram queued
      // before packet info was turned on (one that woke a socket-activated service) carries an
      // unset local address, 0.0.0.0: that says nothing about broadcast.
      d.destination_is_broadcast =
          info.ipi_spec_dst.s_addr != 0 && info.ipi_addr.s_addr != info.ipi_spec_dst.s_addr;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.destination = address_from_v6_bytes(info.ipi6_addr);
      d.destination_ifindex = info.ipi6_ifindex;
    }
  }
}

void datagram_socket::release_large_slots() {
  // Once a second at most: giving pages back after every large datagram would make each one
  // fault its pages in again, and that costs more than the copy.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_release_ < std::chrono::seconds(1)) return;
  last_release_ = now;
  auto& b = *buffers_;
  for (std::size_t i = 0; i < datagram_batch_size; ++i) {
    if ((large_slots_ & (std::uint64_t{1} << i)) == 0) continue;
    madvise(b.payload.get() + i * slot_bytes + resident_slot_bytes,
            slot_bytes - resident_slot_bytes, MADV_DONTNEED);
  }
  large_slots_ = 0;
}

asio::awaitable<const datagram*> datagram_socket::receive() {
  if (next_ < received_) co_return &buffers_->datagrams[next_++];
  co_await flush();
  // A short batch means the kernel queue was empty; anything that arrived since raised a new
  // edge-triggered readiness event, so wait for it instead of spending a recvmmsg() on EAGAIN.
  // That only holds if the event loop has not run in between (a yield or a wait to send), since
  // it would have taken the event while no wait was pending.
  bool wait_first = received_ > 0 && received_ < requested_ && !yielded_ && !flush_waited_;
  received_ = next_ = 0;
  yielded_ = flush_waited_ = false;
  auto& b = *buffers_;
  bool queue_empty = false;  // recvmmsg() said so in this call
  for (;;) {
    if (retiring_) {
      // Whatever the kernel still holds for this socket, until it is empty or the budget is spent;
      // nothing waits any more.
      if (queue_empty || drain_batches_ == 0) co_return nullptr;
      --drain_batches_;
    } else if (wait_first) {
      batches_without_wait_ = 0;
      // Idle: a good moment to give back what large datagrams made resident.
      if (large_slots_ != 0) release_large_slots();
      // The queue was found empty just now, with no turn of the event loop since: the edge of
      // the next datagram is still to come, so the wait needs no re-arming (readable_wait.hpp).
      // Cancelled by retire(): go on to read what is queued. Any other error shows in recvmmsg().
      asio::error_code error;
      co_await socket_.async_wait_readable(asio::redirect_error(asio::use_awaitable, error));
    }
    // The kernel wrote the lengths of the headers it filled last time; restore those only.
    for (std::size_t i = 0; i < filled_; ++i) {
      auto& header = b.receive_headers[i].msg_hdr;
      header.msg_namelen = static_cast<socklen_t>(b.datagrams[i].peer.capacity());
      header.msg_controllen = reply_from_destination_ ? control_bytes : 0;
    }
    requested_ = receive_limit_;
    const int count = recvmmsg(socket_.native_handle(), b.receive_headers.data(),
                               static_cast<unsigned>(requested_), MSG_DONTWAIT, nullptr);
    filled_ = count > 0 ? static_cast<std::size_t>(count) : 0;
    if (count > 0) {
      bool large = false;
      for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
        decode(i);
        if (b.receive_headers[i].msg_len > resident_slot_bytes) {
          large = true;
          large_slots_ |= std::uint64_t{1} << i;
        }
      }
      // While large datagrams come, take few at a time: their copies dwarf the system call
      // anyway, and fewer slots full at once keeps the resident memory down.
      receive_limit_ = large ? large_datagram_batch_size : datagram_batch_size;
      received_ = static_cast<std::size_t>(count);
      next_ = 1;
      if (++batches_without_wait_ >= batches_before_yield) {
        batches_without_wait_ = 0;
        yielded_ = true;
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
      }
      co_return &b.datagrams[0];
    }
    const int error = errno;
    wait_first = count < 0 && (error == EAGAIN || error == EWOULDBLOCK);
    queue_empty = wait_first;
    if (count < 0 && !wait_first && error != EINTR) {
      // A pending ICMP error or a passing shortage; the next datagram is unaffected.
      ++errors_.receive_errors;
      if (error == EBADF || error == ENOTSOCK) {
        throw std::system_error(error, std::generic_category(), "recvmmsg");
      }
    }
  }
}

void datagram_socket::add_packet_info(std::size_t index, const datagram& request) {
  auto& header = send_headers_[index].msg_hdr;
  auto* control = buffers_->send_control[index].data();
  header.msg_control = control;
  header.msg_controllen = control_bytes;
  cmsghdr* c = CMSG_FIRSTHDR(&header);
  if (request.destination->is_v4()) {
    in_pktinfo info{};
    info.ipi_spec_dst.s_addr = htonl(request.destination->to_v4().to_uint());
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    header.msg_controllen = CMSG_SPACE(sizeof info);
  } else {
    const auto v6 = request.destination->to_v6();
    in6_pktinfo info{};
    const auto bytes = v6.to_bytes();
    std::memcpy(&info.ipi6_addr, bytes.data(), bytes.size());
    // Link-local addresses are only meaningful with their interface.
    info.ipi6_ifindex = v6.is_link_local() ? request.destination_ifindex : 0;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    header.msg_controllen = CMSG_SPACE(sizeof info);
  }
}

asio::awaitable<void> datagram_socket::flush() {
  auto& b = *buffers_;
  std::size_t sent = 0;
  while (sent < queued_) {
    const int count = sendmmsg(socket_.native_handle(), &b.send_headers[sent],
                               static_cast<unsigned>(queued_ - sent), MSG_DONTWAIT);
    if (count > 0) {
      sent += static_cast<std::size_t>(count);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      flush_waited_ = true;
      // Cancelled by retire(): the replies are still owed, so try again.
      asio::error_code ignored;
      co_await socket_.async_wait(asio::socket_base::wait_write,
                                  asio::redirect_error(asio::use_awaitable, ignored));
    } else if (error != EINTR) {
      // sendmmsg() stops at the first reply it cannot send; skip that one and send the rest.
      ++errors_.send_errors;
      ++sent;
    }
  }
  queued_ = 0;
}

}  // namespace udpecho
