#include "daemon/net/datagram_socket.hpp"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <spdlog/spdlog.h>

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
constexpr std::size_t control_bytes = CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo));

// Room for bursts: 4 flows x 32 datagrams of 1400 bytes overflow the usual 208 KiB default, and a
// flood that arrives while the daemon is not scheduled fills it: the kernel then drops whatever
// comes next, an in-limit peer's datagram as readily as the flood's, before rate limiting can tell
// them apart. The kernel doubles the figure and, without CAP_NET_ADMIN, caps it at
// net.core.rmem_max. It is kernel memory, not the daemon's RSS.
constexpr int receive_buffer_bytes = 4 << 20;

// Fairness: after this many batches in a row without waiting, let other sockets and signals run.
constexpr unsigned batches_before_yield = 8;

template <typename Option>
void set_option(asio::ip::udp::socket& socket, int level, int name, Option value,
                const char* what) {
  if (setsockopt(socket.native_handle(), level, name, &value, sizeof value) != 0) {
    throw std::system_error(errno, std::generic_category(), what);
  }
}

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

std::size_t max_payload_to(const asio::ip::udp::endpoint& peer) {
  const auto& address = peer.address();
  const bool v4 = address.is_v4() || address.to_v6().is_v4_mapped();
  return v4 ? max_udp_payload_v4 : max_udp_payload_v6;
}

asio::ip::udp::socket open_bound_socket(asio::io_context& io, const asio::ip::address& address,
                                        std::uint16_t port, bool v6_only, bool reuse_port) {
  asio::ip::udp::socket socket(io);
  const asio::ip::udp::endpoint endpoint(address, port);
  socket.open(endpoint.protocol());
  if (address.is_v6()) socket.set_option(asio::ip::v6_only(v6_only));
  if (reuse_port) set_option(socket, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
  // A bigger buffer is an improvement, not a requirement: failure leaves the default.
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes,
                 sizeof receive_buffer_bytes) != 0) {
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
               sizeof receive_buffer_bytes);
  }
  if (address.is_unspecified()) enable_packet_info(socket);
  socket.bind(endpoint);
  socket.non_blocking(true);
  return socket;
}

void enable_packet_info(asio::ip::udp::socket& socket) {
  const int on = 1;
  if (socket.local_endpoint().protocol() == asio::ip::udp::v6()) {
    // IPv6 packet info also reports IPv4 datagrams on a dual-stack socket, as mapped addresses,
    // but it has no word for broadcast; IPv4 packet info, which a dual-stack socket also gives
    // for its IPv4 datagrams, does (see decode).
    set_option(socket, IPPROTO_IPV6, IPV6_RECVPKTINFO, on, "setsockopt(IPV6_RECVPKTINFO)");
    int v6_only = 0;
    socklen_t length = sizeof v6_only;
    if (getsockopt(socket.native_handle(), IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, &length) == 0 &&
        v6_only == 0) {
      set_option(socket, IPPROTO_IP, IP_PKTINFO, on, "setsockopt(IP_PKTINFO)");
    }
  } else {
    set_option(socket, IPPROTO_IP, IP_PKTINFO, on, "setsockopt(IP_PKTINFO)");
  }
}

namespace {
// The mask of the bits of 32-bit word `word` of an address that lie within its first
// `prefix_bits` bits.
std::uint32_t prefix_word_mask(unsigned prefix_bits, unsigned word) {
  const unsigned first = word * 32;
  if (prefix_bits <= first) return 0;
  const unsigned bits = std::min(prefix_bits - first, 32u);
  return bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
}
}  // namespace

bool steer_sources_to_workers(asio::ip::udp::socket& socket, std::size_t workers,
                              unsigned prefix_v4, unsigned prefix_v6) {
  // Classic BPF run on each datagram; it returns the index of the socket in the group. The data
  // starts at the UDP payload, so the IP header is read through the SKF_NET_OFF window. Only the
  // source's first prefix_v4/prefix_v6 bits count, so a whole prefix shares one worker.
  constexpr auto net = static_cast<std::uint32_t>(SKF_NET_OFF);
  const auto count = static_cast<std::uint32_t>(workers);
  const auto v6 = [&](unsigned word) { return prefix_word_mask(prefix_v6, word); };
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, net + 0),                 // 0: version, header length
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),                     // 1: version
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 3, 0),               // 2: IPv6 -> 6
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 12),               // 3: IPv4 source address
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, prefix_word_mask(prefix_v4, 0)),  // 4
      BPF_STMT(BPF_JMP | BPF_JA, 14),                             // 5: -> 20
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 8),                // 6: IPv6 source, xor-folded
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(0)),                 // 7
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                            // 8
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 12),               // 9
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(1)),                 // 10
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),                     // 11
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                            // 12
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 16),               // 13
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(2)),                 // 14
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),                     // 15
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                            // 16
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 20),               // 17
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(3)),                 // 18
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),                     // 19
      BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1),            // 20: spread neighbours
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),                    // 21
      BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, count),                 // 22: the worker
      BPF_STMT(BPF_RET | BPF_A, 0),                               // 23
  };
  const sock_fprog filter{static_cast<unsigned short>(std::size(program)), program};
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &filter,
                 sizeof filter) != 0) {
    spdlog::warn("cannot steer each source address to one worker ({}); the kernel spreads "
                 "datagrams by address and port, so one source's ports may reach several workers",
                 std::strerror(errno));
    return false;
  }
  return true;
}

datagram_socket::datagram_socket(asio::ip::udp::socket socket, bool reply_from_destination)
    : socket_(std::move(socket)),
      reply_from_destination_(reply_from_destination),
      buffers_(std::make_unique<batch_buffers>()),
      datagrams_(buffers_->datagrams.data()),
      send_headers_(buffers_->send_headers.data()),
      send_iov_(buffers_->send_iov.data()) {
  socket_.non_blocking(true);
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

void datagram_socket::close() {
  asio::error_code ignored;
  socket_.close(ignored);
}

// Inline into receive(), its only caller, which runs it for every datagram.
[[gnu::always_inline]] inline void datagram_socket::decode(std::size_t index) {
  auto& b = *buffers_;
  auto& header = b.receive_headers[index];
  auto& d = b.datagrams[index];
  d.peer.resize(header.msg_hdr.msg_namelen);
  d.payload = std::string_view(reinterpret_cast<const char*>(b.receive_iov[index].iov_base),
                               std::min<std::size_t>(header.msg_len, slot_bytes));
  d.truncated = (header.msg_hdr.msg_flags & MSG_TRUNC) != 0;
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
  for (;;) {
    if (wait_first) {
      batches_without_wait_ = 0;
      // Idle: a good moment to give back what large datagrams made resident.
      if (large_slots_ != 0) release_large_slots();
      // The queue was found empty just now, with no turn of the event loop since: the edge of
      // the next datagram is still to come, so the wait needs no re-arming (readable_wait.hpp).
      co_await socket_.async_wait_readable(asio::use_awaitable);
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
    if (count < 0 && !wait_first && error != EINTR) {
      // A pending ICMP error or a passing shortage; the next datagram is unaffected.
      ++errors_.receive_errors;
      errors_.last_receive_error = std::error_code(error, std::generic_category());
      if (error == EBADF || error == ENOTSOCK) {
        throw std::system_error(errors_.last_receive_error, "recvmmsg");
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

asio::awaitable<void> datagram_socket::send(const datagram& request, std::string_view prefix,
                                            std::string_view payload) {
  if (queue_reply(request, prefix, payload)) co_await flush();
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
      co_await socket_.async_wait(asio::socket_base::wait_write, asio::use_awaitable);
    } else if (error != EINTR) {
      // sendmmsg() stops at the first reply it cannot send; skip that one and send the rest.
      ++errors_.send_errors;
      errors_.last_send_error = std::error_code(error, std::generic_category());
      ++sent;
    }
  }
  queued_ = 0;
}

}  // namespace udpecho
