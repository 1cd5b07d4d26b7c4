#include <doctest/doctest.h>

#include "daemon/systemd/service_status.hpp"

using namespace udpecho;

namespace {
asio::ip::udp::endpoint ep(const char* address, unsigned short port) {
  return {asio::ip::make_address(address), port};
}
}  // namespace

TEST_CASE("counters are grouped by thousands") {
  CHECK(with_thousands_separators(0) == "0");
  CHECK(with_thousands_separators(999) == "999");
  CHECK(with_thousands_separators(1000) == "1,000");
  CHECK(with_thousands_separators(1204) == "1,204");
  CHECK(with_thousands_separators(123456) == "123,456");
  CHECK(with_thousands_separators(1234567) == "1,234,567");
  CHECK(with_thousands_separators(18446744073709551615ULL) == "18,446,744,073,709,551,615");
}

TEST_CASE("the status line names the sockets and the traffic") {
  CHECK(status_text({ep("127.0.0.1", 5002)}, 1204, 3, false) ==
        "127.0.0.1:5002 \u00b7 1,204 datagrams from 3 peers");
  CHECK(status_text({ep("127.0.0.1", 5002), ep("::1", 5002)}, 1, 1, false) ==
        "127.0.0.1:5002, [::1]:5002 \u00b7 1 datagram from 1 peer");
  CHECK(status_text({ep("::", 7)}, 70000, 65536, true) ==
        "[::]:7 \u00b7 70,000 datagrams from at least 65,536 peers");
  CHECK(status_text({}, 0, 0, false) == "no socket \u00b7 0 datagrams from 0 peers");
}
