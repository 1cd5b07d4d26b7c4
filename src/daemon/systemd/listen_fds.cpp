#include "daemon/systemd/listen_fds.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "common/text.hpp"
#include "daemon/net/socket_options.hpp"

namespace udpecho {
namespace {

std::string os_reason() {
  return std::error_code(errno, std::generic_category()).message();
}

}  // namespace

listen_fds_env parse_listen_fds(const char* listen_pid, const char* listen_fds,
                                std::int64_t own_pid) {
  listen_fds_env result;
  if (listen_pid == nullptr || listen_fds == nullptr) return result;
  const auto pid = parse_number<std::int64_t>(listen_pid, 1, INT64_MAX);
  if (!pid) {
    result.error = fmt::format("LISTEN_PID={} is not a process ID", quoted(listen_pid, 120));
    return result;
  }
  if (*pid != own_pid) return result;
  // The ceiling only guards against nonsense; the manager passes what the .socket unit lists.
  const auto count = parse_number<int>(listen_fds, 0, 4096);
  if (!count) {
    result.error = fmt::format("LISTEN_FDS={} is not a descriptor count", quoted(listen_fds, 120));
    return result;
  }
  result.count = *count;
  return result;
}

listen_fds_env listen_fds_from_environment() {
  auto result = parse_listen_fds(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), getpid());
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  return result;
}

std::vector<asio::ip::udp::socket> adopt_listen_fds(asio::io_context& io, int count) {
  std::vector<asio::ip::udp::socket> sockets;
  for (int fd = first_listen_fd; fd < first_listen_fd + count; ++fd) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      throw std::runtime_error(
          fmt::format("descriptor {} passed by the service manager: {}", fd, os_reason()));
    }
    const int type = socket_type(fd);
    const int domain = socket_domain(fd);
    if (type != SOCK_DGRAM || (domain != AF_INET && domain != AF_INET6)) {
      throw std::runtime_error(fmt::format(
          "descriptor {} passed by the service manager is not a UDP socket; the .socket unit "
          "must use ListenDatagram= with an IP address or port",
          fd));
    }
    asio::ip::udp::socket socket(io, domain == AF_INET ? asio::ip::udp::v4() : asio::ip::udp::v6(),
                                 fd);
    prepare_inherited_socket(socket);
    sockets.push_back(std::move(socket));
  }
  return sockets;
}

}  // namespace udpecho
