#include "daemon/net/listeners.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <system_error>

#include "common/endpoint.hpp"
#include "daemon/net/datagram_socket.hpp"

namespace udpecho {
namespace {

bool contains(const std::vector<asio::ip::address>& list, const asio::ip::address& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

}  // namespace

bool wants_v6_only(const std::vector<asio::ip::address>& bind) {
  return std::any_of(bind.begin(), bind.end(), [](const auto& address) { return address.is_v4(); });
}

std::vector<asio::ip::udp::socket> bind_sockets(asio::io_context& io,
                                                const std::vector<asio::ip::address>& bind,
                                                std::uint16_t port, bool reuse_port) {
  const bool v6_only = wants_v6_only(bind);
  std::vector<asio::ip::udp::socket> sockets;
  for (const auto& address : bind) {
    try {
      sockets.push_back(open_bound_socket(io, address, port, v6_only, reuse_port));
    } catch (const std::system_error& e) {
      throw bind_error(fmt::format("cannot listen on {}: {}", format_endpoint(address, port),
                                   e.code().message()));
    }
    const auto local = sockets.back().local_endpoint();
    if (port == 0) {
      port = local.port();
      spdlog::info("port 0: the kernel chose port {}", port);
    }
    spdlog::info("listening on {}", format_endpoint(local));
  }
  return sockets;
}

rebind_plan plan_rebind(const std::vector<asio::ip::address>& old_bind, std::uint16_t old_port,
                        const std::vector<asio::ip::address>& new_bind, std::uint16_t new_port) {
  rebind_plan plan;
  const bool same_addresses = std::all_of(old_bind.begin(), old_bind.end(),
                                          [&](const auto& a) { return contains(new_bind, a); }) &&
                              std::all_of(new_bind.begin(), new_bind.end(),
                                          [&](const auto& a) { return contains(old_bind, a); });
  if (same_addresses && old_port == new_port) return plan;
  plan.changed = true;
  const bool replace_all = old_port != new_port || new_port == 0;
  const bool dual_stack_changes = wants_v6_only(old_bind) != wants_v6_only(new_bind);
  for (const auto& address : old_bind) {
    const bool stays = !replace_all && contains(new_bind, address) &&
                       !(dual_stack_changes && address.is_v6() && address.is_unspecified());
    (stays ? plan.keep : plan.close).push_back(address);
  }
  for (const auto& address : new_bind) {
    if (!contains(plan.keep, address)) plan.open.push_back(address);
  }
  return plan;
}

}  // namespace udpecho
