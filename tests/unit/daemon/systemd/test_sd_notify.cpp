#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "daemon/systemd/sd_notify.hpp"

using namespace udpecho;

TEST_CASE("an abstract '@' name starts with NUL and its length counts only the name's bytes") {
  std::string reason;
  const auto parsed = parse_notify_socket("@udpecho/notify", reason);
  REQUIRE(parsed);
  CHECK(parsed->address.sun_family == AF_UNIX);
  CHECK(parsed->address.sun_path[0] == '\0');
  CHECK(std::memcmp(parsed->address.sun_path + 1, "udpecho/notify", 14) == 0);
  CHECK(parsed->length == offsetof(sockaddr_un, sun_path) + 15);
  CHECK(parsed->length < sizeof(sockaddr_un));
}

TEST_CASE("a path is a file-system socket") {
  std::string reason;
  const auto parsed = parse_notify_socket("/run/systemd/notify", reason);
  REQUIRE(parsed);
  CHECK(std::string(parsed->address.sun_path) == "/run/systemd/notify");
  CHECK(parsed->length == offsetof(sockaddr_un, sun_path) + 19);
}

TEST_CASE("unusable NOTIFY_SOCKET values say why") {
  std::string reason;
  CHECK_FALSE(parse_notify_socket("", reason));
  CHECK(reason == "it is empty");
  CHECK_FALSE(parse_notify_socket("run/notify", reason));
  CHECK(reason.find("neither an absolute path") != std::string::npos);
  CHECK_FALSE(parse_notify_socket("@" + std::string(sizeof(sockaddr_un{}.sun_path), 'x'), reason));
  CHECK(reason.find("longer than") != std::string::npos);
  // Exactly as long as sun_path is still an address (abstract names need no terminating NUL).
  CHECK(parse_notify_socket("@" + std::string(sizeof(sockaddr_un{}.sun_path) - 1, 'x'), reason));
}

TEST_CASE("status messages stay one assignment") {
  CHECK(status_message("127.0.0.1:5002 \u00b7 1 datagram") ==
        "STATUS=127.0.0.1:5002 \u00b7 1 datagram");
  CHECK(status_message("a\nREADY=1\rb") == "STATUS=a READY=1 b");
}

TEST_CASE("RELOADING=1 carries the monotonic time") {
  CHECK(reloading_message(std::chrono::microseconds(1234567)) ==
        "RELOADING=1\nMONOTONIC_USEC=1234567");
}

TEST_CASE("the watchdog is fed at half its timeout, and only when it is ours") {
  using std::chrono::microseconds;
  CHECK(watchdog_interval("30000000", nullptr, 42) == microseconds(15000000));
  CHECK(watchdog_interval("30000000", "42", 42) == microseconds(15000000));
  CHECK(watchdog_interval("30000000", "", 42) == microseconds(15000000));
  CHECK_FALSE(watchdog_interval("30000000", "43", 42));
  CHECK_FALSE(watchdog_interval("30000000", "x", 42));
  CHECK_FALSE(watchdog_interval(nullptr, nullptr, 42));
  CHECK_FALSE(watchdog_interval("", nullptr, 42));
  CHECK_FALSE(watchdog_interval("0", nullptr, 42));
  CHECK_FALSE(watchdog_interval("-5", nullptr, 42));
  CHECK_FALSE(watchdog_interval("10s", nullptr, 42));
  CHECK(watchdog_interval("1", nullptr, 42) == microseconds(1));
}

TEST_CASE("without a manager, sending is a harmless no-op") {
  notifier none;
  CHECK_FALSE(none.enabled());
  CHECK_FALSE(none.send("READY=1"));
}

TEST_CASE("an absurd WATCHDOG_USEC is ignored with one warning, as sd_watchdog_enabled does") {
  using std::chrono::microseconds;
  std::string warning;
  CHECK_FALSE(watchdog_interval("9000000000000000000", nullptr, 42, &warning));
  CHECK(warning ==
        "WATCHDOG_USEC='9000000000000000000' ignored: not a number of microseconds from 1 to "
        "31536000000000");
  warning.clear();
  CHECK_FALSE(watchdog_interval("99999999999999999999999", nullptr, 42, &warning));
  CHECK_FALSE(warning.empty());
  warning.clear();
  CHECK_FALSE(watchdog_interval("1\x1b[31m\n", nullptr, 42, &warning));
  CHECK(warning ==
        "WATCHDOG_USEC='1\\x1b[31m\\n' ignored: not a number of microseconds from 1 "
        "to 31536000000000");
  warning.clear();
  CHECK(watchdog_interval("31536000000000", nullptr, 42, &warning) == microseconds(15768000000000));
  CHECK(warning.empty());
  // Unset or meant for another process: no warning, that is how the protocol says "not you".
  CHECK_FALSE(watchdog_interval(nullptr, nullptr, 42, &warning));
  CHECK_FALSE(watchdog_interval("30000000", "43", 42, &warning));
  CHECK(warning.empty());
  CHECK_FALSE(watchdog_interval("30000000", "4\x1b", 42, &warning));
  CHECK(warning == "WATCHDOG_PID='4\\x1b' ignored, and the watchdog with it: not a process ID");
}

TEST_CASE("a NOTIFY_SOCKET shown in a reason is escaped") {
  std::string reason;
  CHECK_FALSE(parse_notify_socket("run\x1b[2J\nforged", reason));
  CHECK(reason == "'run\\x1b[2J\\nforged' is neither an absolute path nor an abstract '@' name");
}

TEST_CASE("a manager that never reads does not block a send: the message is dropped, counted") {
  const int receiver = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(receiver >= 0);
  const std::string name = "@udpecho-unit-deaf-" + std::to_string(::getpid());
  std::string reason;
  const auto address = parse_notify_socket(name, reason);
  REQUIRE(address);
  REQUIRE(::bind(receiver, reinterpret_cast<const sockaddr*>(&address->address), address->length) ==
          0);
  notifier manager(*address);
  // The receive queue holds a few hundred small datagrams at most; far fewer than these.
  for (int i = 0; i < 5000; ++i) manager.send("WATCHDOG=1");
  CHECK(manager.dropped() > 0);
  CHECK(manager.dropped() < 5000);
  ::close(receiver);
}
