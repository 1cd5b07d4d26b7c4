#include "client/resolve.hpp"

#include <fmt/format.h>
#include <asio/this_coro.hpp>
#include <tuple>

#include "client/async.hpp"
#include "common/endpoint.hpp"
#include "common/text.hpp"

namespace udpecho {

namespace {
bool fits(const asio::ip::address& address, address_family family) {
  switch (family) {
    case address_family::v4:
      return address.is_v4();
    case address_family::v6:
      return address.is_v6();
    case address_family::any:
      return true;
  }
  return true;
}

const char* family_name(address_family family) {
  return family == address_family::v4 ? "IPv4" : "IPv6";
}
}  // namespace

std::optional<asio::ip::address> pick_address(const std::vector<asio::ip::address>& addresses,
                                              address_family family) {
  const address_family wanted = family == address_family::any ? address_family::v4 : family;
  for (const auto& address : addresses) {
    if (fits(address, wanted)) return address;
  }
  if (family == address_family::any && !addresses.empty()) return addresses.front();
  return std::nullopt;
}

asio::awaitable<resolved_target> resolve_target(std::string host, std::uint16_t port,
                                                address_family family) {
  resolved_target target;
  if (auto literal = parse_ip_literal(host)) {
    const auto address = unmap_v4(*literal);
    if (!fits(address, family)) {
      target.error = fmt::format("{} is not an {} address", quoted(host, 200), family_name(family));
    } else {
      target.endpoint = asio::ip::udp::endpoint(address, port);
    }
    co_return target;
  }
  asio::ip::udp::resolver resolver(co_await asio::this_coro::executor);
  // No AI_ADDRCONFIG: a host with only a loopback interface must still resolve "localhost".
  const auto flags = asio::ip::resolver_base::numeric_service;
  const auto service = std::to_string(port);
  // Two statements, not a conditional expression: GCC 12 destroys the result of a co_await
  // inside ?: twice.
  asio::error_code error;
  asio::ip::udp::resolver::results_type results;
  if (family == address_family::any) {
    std::tie(error, results) = co_await resolver.async_resolve(host, service, flags, use_tuple);
  } else {
    const auto protocol = family == address_family::v4 ? asio::ip::udp::v4() : asio::ip::udp::v6();
    std::tie(error, results) =
        co_await resolver.async_resolve(protocol, host, service, flags, use_tuple);
  }
  if (error) {
    target.error = fmt::format("cannot resolve {}: {}", quoted(host, 200), error.message());
    co_return target;
  }
  std::vector<asio::ip::address> addresses;
  for (const auto& entry : results) addresses.push_back(unmap_v4(entry.endpoint().address()));
  if (auto address = pick_address(addresses, family)) {
    target.endpoint = asio::ip::udp::endpoint(*address, port);
  } else {
    target.error = fmt::format("{} has no {} address", quoted(host, 200), family_name(family));
  }
  co_return target;
}

}  // namespace udpecho
