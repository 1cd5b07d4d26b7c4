#include "daemon/net/listeners.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <system_error>

#include "common/endpoint.hpp"
#include "daemon/net/socket_options.hpp"

namespace udpecho {
bool contains(const std::vector<asio::ip::address>& list, const asio::ip::address& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

bool wants_v6_only(const std::vector<asio::ip::address>& bind) {
  return std::any_of(bind.begin(), bind.end(), [](const auto& address) { return address.is_v4(); });
}

asio::ip::udp::socket open_bound_socket(asio::io_context& io,
                                        const asio::ip::udp::endpoint& endpoint, bool v6_only) {
  asio::ip::udp::socket socket(io);
  try {
    socket.open(endpoint.protocol());
    if (endpoint.address().is_v6()) set_v6_only(socket, v6_only);
    enable_reuse_port(socket);
    set_receive_buffer(socket);
    socket.bind(endpoint);
    if (endpoint.address().is_unspecified()) enable_packet_info(socket);
    set_non_blocking(socket);
  } catch (const std::system_error& e) {
    throw bind_error(
        fmt::format("cannot listen on {}: {}", format_endpoint(endpoint), e.code().message()));
  }
  return socket;
}

void check_port_free(const asio::ip::udp::endpoint& endpoint, bool v6_only) {
  asio::io_context io;
  asio::ip::udp::socket probe(io);
  try {
    probe.open(endpoint.protocol());
    if (endpoint.address().is_v6()) set_v6_only(probe, v6_only);
    probe.bind(endpoint);
  } catch (const std::system_error& e) {
    throw bind_error(
        fmt::format("cannot listen on {}: {}", format_endpoint(endpoint), e.code().message()));
  }
}

void steer_listener(const asio::ip::udp::endpoint& endpoint, bool v6_only, std::size_t workers,
                    unsigned prefix_v4, unsigned prefix_v6) {
  asio::io_context io;
  try {
    auto member = open_bound_socket(io, endpoint, v6_only);
    steer_sources_to_workers(member, workers, prefix_v4, prefix_v6);
  } catch (const bind_error& e) {
    spdlog::warn("cannot steer sources to workers on {}: {}", format_endpoint(endpoint), e.what());
  }
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
