#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/systemd/listen_fds.hpp"

using namespace udpecho;

TEST_CASE("not socket-activated when the variables are missing") {
  CHECK(parse_listen_fds(nullptr, nullptr, 100).count == 0);
  CHECK(parse_listen_fds("100", nullptr, 100).count == 0);
  CHECK(parse_listen_fds(nullptr, "1", 100).count == 0);
  CHECK(parse_listen_fds(nullptr, "1", 100).ok());
}

TEST_CASE("descriptors are ours only when LISTEN_PID is our process") {
  const auto ours = parse_listen_fds("100", "2", 100);
  CHECK(ours.ok());
  CHECK(ours.count == 2);
  const auto inherited = parse_listen_fds("99", "2", 100);
  CHECK(inherited.ok());
  CHECK(inherited.count == 0);
  CHECK(parse_listen_fds("100", "0", 100).count == 0);
}

TEST_CASE("malformed variables are errors that quote them") {
  CHECK(parse_listen_fds("abc", "1", 100).error == "LISTEN_PID='abc' is not a process ID");
  CHECK(parse_listen_fds("0", "1", 100).error == "LISTEN_PID='0' is not a process ID");
  CHECK(parse_listen_fds("100", "x", 100).error == "LISTEN_FDS='x' is not a descriptor count");
  CHECK(parse_listen_fds("100", "-1", 100).error == "LISTEN_FDS='-1' is not a descriptor count");
  CHECK(parse_listen_fds("100", "1 ", 100).error == "LISTEN_FDS='1 ' is not a descriptor count");
  CHECK_FALSE(parse_listen_fds("100", "99999", 100).ok());
}

namespace {
// Puts `fd` at descriptor 3, where the manager would pass it, and restores 3 afterwards.
class at_first_listen_fd {
 public:
  explicit at_first_listen_fd(int fd) : saved_(dup(first_listen_fd)) {
    REQUIRE(dup2(fd, first_listen_fd) == first_listen_fd);
    if (fd != first_listen_fd) close(fd);
  }
  ~at_first_listen_fd() {
    if (saved_ >= 0) {
      dup2(saved_, first_listen_fd);
      close(saved_);
    } else {
      close(first_listen_fd);
    }
  }

 private:
  int saved_;
};
}  // namespace

TEST_CASE("adopting refuses a stream socket and names the descriptor") {
  at_first_listen_fd passed(socket(AF_INET, SOCK_STREAM, 0));
  asio::io_context io;
  CHECK_THROWS_WITH_AS(adopt_listen_fds(io, 1),
                       doctest::Contains("descriptor 3 passed by the service manager is not a UDP"),
                       std::runtime_error);
}

TEST_CASE("a bound UDP socket is adopted as it is") {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  at_first_listen_fd passed(fd);
  asio::io_context io;
  auto sockets = adopt_listen_fds(io, 1);
  REQUIRE(sockets.size() == 1);
  CHECK(sockets[0].local_endpoint().address() == asio::ip::make_address("127.0.0.1"));
  CHECK(sockets[0].local_endpoint().port() != 0);
  CHECK((fcntl(first_listen_fd, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(sockets[0].non_blocking());
  sockets[0].release();  // descriptor 3 is restored by `passed`
}

TEST_CASE("values shown in an error are escaped: they came from the environment") {
  CHECK(parse_listen_fds("1\x1b[31m", "1", 100).error ==
        "LISTEN_PID='1\\x1b[31m' is not a process ID");
  CHECK(parse_listen_fds("100", "1\nudpechod: forged", 100).error ==
        "LISTEN_FDS='1\\nudpechod: forged' is not a descriptor count");
}
