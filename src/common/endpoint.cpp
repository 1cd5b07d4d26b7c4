#include "common/endpoint.hpp"

#include "common/text.hpp"

#include <fmt/format.h>

namespace udpecho {

asio::ip::address unmap_v4(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<asio::ip::address> parse_ip_literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;  // "[1.2.3.4]"
  }
  if (text.empty()) return std::nullopt;
  asio::error_code error;
  auto address = asio::ip::make_address(std::string(text), error);
  if (error) return std::nullopt;
  return address;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.size() > 5) return std::nullopt;  // "000001" is not how anyone writes a port
  return parse_number<std::uint16_t>(text, 0, 65535);
}

std::string format_address(const asio::ip::address& address) {
  return unmap_v4(address).to_string();
}

std::string format_endpoint(const asio::ip::address& address, std::uint16_t port) {
  const auto plain = unmap_v4(address);
  if (plain.is_v6()) return fmt::format("[{}]:{}", plain.to_string(), port);
  return fmt::format("{}:{}", plain.to_string(), port);
}

std::string format_endpoint(const asio::ip::udp::endpoint& endpoint) {
  return format_endpoint(endpoint.address(), endpoint.port());
}

}  // namespace udpecho
