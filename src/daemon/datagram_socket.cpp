#include "daemon/datagram_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

namespace udpecho {
namespace {

// Every slot can hold the largest datagram, so nothing is cut. The pages of a slot become resident
// only when a datagram that large arrives: small traffic touches one page per slot.
constexpr std::size_t slot_bytes = 65536;
constexpr std::size_t control_bytes = CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo));

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

// The receive buffer asked for; see open_bound_socket.
constexpr int receive_buffer_bytes = 4 << 20;

}  // namespace

struct datagram_socket::batch_buffers {
  std::unique_ptr<std::byte[]> payload{new std::byte[datagram_batch_size * slot_bytes]};
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
                                        std::uint16_t port, bool v6_only) {
  asio::ip::udp::socket socket(io);
  const asio::ip::udp::endpoint endpoint(address, port);
  socket.open(endpoint.protocol());
  if (address.is_v6()) socket.set_option(asio::ip::v6_only(v6_only));
  if (address.is_unspecified()) enable_packet_info(socket);
  // Room for a flood that arrives while the daemon is not scheduled: when the buffer is full the
  // kernel drops whatever comes next, an in-limit peer's datagram as readily as the flood's,
  // before rate limiting can tell them apart. The kernel caps it at net.core.rmem_max.
  socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
  socket.bind(endpoint);
  socket.non_blocking(true);
  return socket;
}

void enable_packet_info(asio::ip::udp::socket& socket) {
  const int on = 1;
  if (socket.local_endpoint().protocol() == asio::ip::udp::v6()) {
    // IPv6 packet info also reports IPv4 datagrams on a dual-stack socket, as mapped addresses.
    set_option(socket, IPPROTO_IPV6, IPV6_RECVPKTINFO, on, "setsockopt(IPV6_RECVPKTINFO)");
  } else {
    set_option(socket, IPPROTO_IP, IP_PKTINFO, on, "setsockopt(IP_PKTINFO)");
  }
}

datagram_socket::datagram_socket(asio::ip::udp::socket socket, bool reply_from_destination)
    : socket_(std::move(socket)),
      reply_from_destination_(reply_from_destination),
      buffers_(std::make_unique<batch_buffers>()) {
  socket_.non_blocking(true);
  auto& b = *buffers_;
  for (std::size_t i = 0; i < datagram_batch_size; ++i) {
    b.receive_iov[i] = {b.payload.get() + i * slot_bytes, slot_bytes};
    auto& header = b.receive_headers[i].msg_hdr;
    header.msg_iov = &b.receive_iov[i];
    header.msg_iovlen = 1;
  }
}

datagram_socket::~datagram_socket() = default;

void datagram_socket::close() {
  asio::error_code ignored;
  socket_.close(ignored);
}

void datagram_socket::decode(std::size_t index) {
  auto& b = *buffers_;
  auto& header = b.receive_headers[index];
  auto& d = b.datagrams[index];
  d.peer.resize(header.msg_hdr.msg_namelen);
  d.payload = std::string_view(reinterpret_cast<const char*>(b.receive_iov[index].iov_base),
                               std::min<std::size_t>(header.msg_len, slot_bytes));
  d.truncated = (header.msg_hdr.msg_flags & MSG_TRUNC) != 0;
  d.destination.reset();
  d.destination_ifindex = 0;
  d.destination_is_broadcast = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&header.msg_hdr); c != nullptr;
       c = CMSG_NXTHDR(&header.msg_hdr, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.destination = asio::ip::address_v4(ntohl(info.ipi_addr.s_addr));
      d.destination_ifindex = static_cast<unsigned>(info.ipi_ifindex);
      // The kernel reports a local address other than the header's destination only when that
      // destination was not one of ours: a broadcast (or multicast) address.
      d.destination_is_broadcast = info.ipi_addr.s_addr != info.ipi_spec_dst.s_addr;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.destination = address_from_v6_bytes(info.ipi6_addr);
      d.destination_ifindex = info.ipi6_ifindex;
    }
  }
}

asio::awaitable<const datagram*> datagram_socket::receive() {
  if (next_ < received_) co_return &buffers_->datagrams[next_++];
  co_await flush();
  auto& b = *buffers_;
  for (;;) {
    for (std::size_t i = 0; i < datagram_batch_size; ++i) {
      auto& header = b.receive_headers[i].msg_hdr;
      header.msg_name = b.datagrams[i].peer.data();
      header.msg_namelen = static_cast<socklen_t>(b.datagrams[i].peer.capacity());
      header.msg_control = reply_from_destination_ ? b.receive_control[i].data() : nullptr;
      header.msg_controllen = reply_from_destination_ ? control_bytes : 0;
      header.msg_flags = 0;
    }
    const int count = recvmmsg(socket_.native_handle(), b.receive_headers.data(),
                               datagram_batch_size, MSG_DONTWAIT, nullptr);
    if (count > 0) {
      for (int i = 0; i < count; ++i) decode(static_cast<std::size_t>(i));
      received_ = static_cast<std::size_t>(count);
      next_ = 1;
      if (++batches_without_wait_ >= batches_before_yield) {
        batches_without_wait_ = 0;
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
      }
      co_return &b.datagrams[0];
    }
    const int error = errno;
    if (count < 0 && (error == EAGAIN || error == EWOULDBLOCK)) {
      batches_without_wait_ = 0;
      co_await socket_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
    } else if (count < 0 && error != EINTR) {
      // A pending ICMP error or a passing shortage; the next datagram is unaffected.
      ++errors_.receive_errors;
      errors_.last_receive_error = std::error_code(error, std::generic_category());
      if (error == EBADF || error == ENOTSOCK) {
        throw std::system_error(errors_.last_receive_error, "recvmmsg");
      }
    }
  }
}

asio::awaitable<void> datagram_socket::send(const datagram& request, std::string_view prefix,
                                            std::string_view payload) {
  auto& b = *buffers_;
  const std::size_t index = queued_++;
  auto& iov = b.send_iov[index];
  iov[0] = {const_cast<char*>(prefix.data()), prefix.size()};
  iov[1] = {const_cast<char*>(payload.data()), payload.size()};
  auto& header = b.send_headers[index].msg_hdr;
  header = {};
  header.msg_name = const_cast<sockaddr*>(request.peer.data());
  header.msg_namelen = static_cast<socklen_t>(request.peer.size());
  header.msg_iov = iov.data();
  header.msg_iovlen = iov.size();
  if (reply_from_destination_ && request.destination) {
    auto* control = b.send_control[index].data();
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
  if (queued_ == datagram_batch_size) co_await flush();
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
