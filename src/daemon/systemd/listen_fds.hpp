// Socket activation (sd_listen_fds(3)), written by hand: the manager passes bound sockets as
// descriptors 3, 4, ... and says so in $LISTEN_PID and $LISTEN_FDS.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace udpecho {

/// The first descriptor the manager passes (SD_LISTEN_FDS_START).
inline constexpr int first_listen_fd = 3;

/// What $LISTEN_PID/$LISTEN_FDS say.
struct listen_fds_env {
  int count = 0;      // descriptors passed to this process; 0 when not socket-activated
  std::string error;  // set when the variables are meant for us but malformed
  bool ok() const { return error.empty(); }
};

/// Parses the variables (null when unset). They are ours only when LISTEN_PID is `own_pid`: a
/// child inherits the environment but not the descriptors' meaning.
listen_fds_env parse_listen_fds(const char* listen_pid, const char* listen_fds,
                                std::int64_t own_pid);

/// Reads and then unsets the variables, so nothing started later mistakes them for its own.
listen_fds_env listen_fds_from_environment();

/// Takes over descriptors first_listen_fd .. first_listen_fd + count - 1 as UDP sockets on `io`:
/// each must be an IPv4 or IPv6 datagram socket. They get close-on-exec, and the options of a
/// socket we bind ourselves (prepare_inherited_socket). Throws std::runtime_error naming the
/// descriptor and what is wrong with it.
std::vector<asio::ip::udp::socket> adopt_listen_fds(asio::io_context& io, int count);

}  // namespace udpecho
