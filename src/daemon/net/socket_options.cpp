#include "daemon/net/socket_options.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace udpecho {
namespace {

// Room for bursts: 4 flows x 32 datagrams of 1400 bytes overflow the usual 208 KiB default, and a
// flood that arrives while the daemon is not scheduled fills it: the kernel then drops whatever
// comes next, an in-limit peer's datagram as readily as the flood's, before rate limiting can tell
// them apart. The kernel doubles the figure and, without CAP_NET_ADMIN, caps it at
// net.core.rmem_max. It is kernel memory, not the daemon's RSS.
constexpr int receive_buffer_bytes = 4 << 20;

void set_int(int descriptor, int level, int name, int value, const char* what) {
  if (setsockopt(descriptor, level, name, &value, sizeof value) != 0) {
    throw std::system_error(errno, std::generic_category(), what);
  }
}

int get_int(int descriptor, int level, int name) {
  int value = 0;
  socklen_t length = sizeof value;
  return getsockopt(descriptor, level, name, &value, &length) == 0 ? value : -1;
}

// The mask of the bits of 32-bit word `word` of an address that lie within its first
// `prefix_bits` bits.
std::uint32_t prefix_word_mask(unsigned prefix_bits, unsigned word) {
  const unsigned first = word * 32;
  if (prefix_bits <= first) return 0;
  const unsigned bits = std::min(prefix_bits - first, 32u);
  return bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
}

}  // namespace

void set_receive_buffer(asio::ip::udp::socket& socket) {
  // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; SO_RCVBUF is capped by it.
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes,
                 sizeof receive_buffer_bytes) != 0) {
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
               sizeof receive_buffer_bytes);
  }
}

void enable_packet_info(asio::ip::udp::socket& socket) {
  if (socket.local_endpoint().protocol() == asio::ip::udp::v6()) {
    // IPv6 packet info also reports IPv4 datagrams on a dual-stack socket, as mapped addresses,
    // but it has no word for broadcast; IPv4 packet info, which a dual-stack socket also gives
    // for its IPv4 datagrams, does (see datagram_socket's decode).
    set_int(socket.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1,
            "setsockopt(IPV6_RECVPKTINFO)");
    if (!is_v6_only(socket.native_handle())) {
      set_int(socket.native_handle(), IPPROTO_IP, IP_PKTINFO, 1, "setsockopt(IP_PKTINFO)");
    }
  } else {
    set_int(socket.native_handle(), IPPROTO_IP, IP_PKTINFO, 1, "setsockopt(IP_PKTINFO)");
  }
}

void enable_reuse_port(asio::ip::udp::socket& socket) {
  set_int(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
}

bool has_reuse_port(int descriptor) {
  return get_int(descriptor, SOL_SOCKET, SO_REUSEPORT) > 0;
}

void set_v6_only(asio::ip::udp::socket& socket, bool v6_only) {
  set_int(socket.native_handle(), IPPROTO_IPV6, IPV6_V6ONLY, v6_only ? 1 : 0,
          "setsockopt(IPV6_V6ONLY)");
}

bool is_v6_only(int descriptor) {
  return get_int(descriptor, IPPROTO_IPV6, IPV6_V6ONLY) > 0;
}

void set_non_blocking(asio::ip::udp::socket& socket) {
  socket.non_blocking(true);
}

bool set_non_blocking(int descriptor) {
  const int flags = fcntl(descriptor, F_GETFL);
  return flags >= 0 && fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0;
}

int socket_type(int descriptor) {
  return get_int(descriptor, SOL_SOCKET, SO_TYPE);
}

int socket_domain(int descriptor) {
  return get_int(descriptor, SOL_SOCKET, SO_DOMAIN);
}

void prepare_inherited_socket(asio::ip::udp::socket& socket) {
  set_receive_buffer(socket);
  set_non_blocking(socket);
  if (socket.local_endpoint().address().is_unspecified()) enable_packet_info(socket);
}

void stop_receiving_new(asio::ip::udp::socket& socket) {
  asio::error_code error;
  auto self = socket.local_endpoint(error);
  if (error) return;
  if (self.address().is_unspecified()) {
    self.address(self.address().is_v4() ? asio::ip::address(asio::ip::address_v4::loopback())
                                        : asio::ip::address(asio::ip::address_v6::loopback()));
  }
  socket.connect(self, error);
}

bool steer_sources_to_workers(asio::ip::udp::socket& socket, std::size_t workers,
                              unsigned prefix_v4, unsigned prefix_v6) {
  // Classic BPF run on each datagram; it returns the index of the socket in the group. The data
  // starts at the UDP payload, so the IP header is read through the SKF_NET_OFF window. Only the
  // source's first prefix_v4/prefix_v6 bits count, so a whole prefix shares one worker.
  constexpr auto net = static_cast<std::uint32_t>(SKF_NET_OFF);
  const auto count = static_cast<std::uint32_t>(workers);
  const auto v6 = [&](unsigned word) { return prefix_word_mask(prefix_v6, word); };
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, net + 0),                          // 0: version, IHL
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),                               // 1: version
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 3, 0),                         // 2: IPv6 -> 6
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 12),                         // 3: IPv4 source
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, prefix_word_mask(prefix_v4, 0)),  // 4
      BPF_STMT(BPF_JMP | BPF_JA, 14),                                       // 5: -> 20
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 8),      // 6: IPv6 source, xor-folded
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(0)),       // 7
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                  // 8
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 12),     // 9
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(1)),       // 10
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),           // 11
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                  // 12
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 16),     // 13
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(2)),       // 14
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),           // 15
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                  // 16
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 20),     // 17
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, v6(3)),       // 18
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),           // 19
      BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1),  // 20: spread neighbours
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),          // 21
      BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, count),       // 22: the worker
      BPF_STMT(BPF_RET | BPF_A, 0),                     // 23
  };
  const sock_fprog filter{static_cast<unsigned short>(std::size(program)), program};
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &filter,
                 sizeof filter) != 0) {
    spdlog::warn(
        "cannot steer each source address to one worker ({}); the kernel spreads "
        "datagrams by address and port, so one source's ports may reach several workers",
        std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace udpecho
