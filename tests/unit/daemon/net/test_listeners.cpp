#include <doctest/doctest.h>

#include "daemon/net/listeners.hpp"

using namespace udpecho;

namespace {
std::vector<asio::ip::address> list(std::initializer_list<const char*> texts) {
  std::vector<asio::ip::address> result;
  for (const char* text : texts) result.push_back(asio::ip::make_address(text));
  return result;
}
}  // namespace

TEST_CASE("same addresses in any order on the same port: nothing to do") {
  const auto plan = plan_rebind(list({"127.0.0.1", "::1"}), 5002, list({"::1", "127.0.0.1"}), 5002);
  CHECK_FALSE(plan.changed);
  CHECK(plan.open.empty());
  CHECK(plan.close.empty());
}

TEST_CASE("port 0 unchanged keeps the port the kernel chose") {
  CHECK_FALSE(plan_rebind(list({"127.0.0.1"}), 0, list({"127.0.0.1"}), 0).changed);
}

TEST_CASE("a new port replaces every socket") {
  const auto plan = plan_rebind(list({"127.0.0.1"}), 5002, list({"127.0.0.1"}), 5003);
  CHECK(plan.changed);
  CHECK(plan.keep.empty());
  CHECK(plan.open == list({"127.0.0.1"}));
  CHECK(plan.close == list({"127.0.0.1"}));
}

TEST_CASE("an added address is opened, a removed one closed, the rest kept") {
  const auto plan =
      plan_rebind(list({"127.0.0.1", "127.0.0.2"}), 5002, list({"127.0.0.1", "::1"}), 5002);
  CHECK(plan.changed);
  CHECK(plan.keep == list({"127.0.0.1"}));
  CHECK(plan.open == list({"::1"}));
  CHECK(plan.close == list({"127.0.0.2"}));
}

TEST_CASE("with port 0, changed addresses all get a new shared port") {
  const auto plan = plan_rebind(list({"127.0.0.1"}), 0, list({"127.0.0.1", "::1"}), 0);
  CHECK(plan.keep.empty());
  CHECK(plan.open == list({"127.0.0.1", "::1"}));
}

TEST_CASE("\"::\" is reopened when it turns from dual stack to IPv6 only") {
  const auto plan = plan_rebind(list({"::"}), 5002, list({"::", "0.0.0.0"}), 5002);
  CHECK(plan.keep.empty());
  CHECK(plan.open == list({"::", "0.0.0.0"}));
  CHECK(plan.close == list({"::"}));
}

TEST_CASE("\"::\" takes IPv4 too unless an IPv4 address is listed") {
  CHECK_FALSE(wants_v6_only(list({"::"})));
  CHECK(wants_v6_only(list({"::", "127.0.0.1"})));
}
