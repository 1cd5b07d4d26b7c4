#include "daemon/abuse/ip_prefix.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/endpoint.hpp"
#include "common/text.hpp"

namespace udpecho {
namespace {

constexpr unsigned v4_offset = 96;  // bits before the IPv4 address in ::ffff:a.b.c.d

// Clears every bit past `length`.
void mask_bytes(address_bytes& bytes, unsigned length) {
  for (unsigned i = 0; i < bytes.size(); ++i) {
    const unsigned first_bit = i * 8;
    if (first_bit >= length) {
      bytes[i] = 0;
    } else if (length - first_bit < 8) {
      bytes[i] &= static_cast<std::uint8_t>(0xFFu << (8 - (length - first_bit)));
    }
  }
}

}  // namespace

address_bytes to_address_bytes(const asio::ip::address& address) {
  if (address.is_v4()) {
    return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
  }
  return address.to_v6().to_bytes();
}

bool is_v4_bytes(const address_bytes& bytes) {
  return std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
         bytes[10] == 0xFF && bytes[11] == 0xFF;
}

bool ip_prefix::contains(const address_bytes& address) const {
  // Families never mix: "::/0" means every IPv6 address, not IPv4 as well.
  if (is_v4() != is_v4_bytes(address)) return false;
  const unsigned whole = length / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + whole, address.begin())) return false;
  const unsigned rest = length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - rest));
  return (address[whole] & mask) == bytes[whole];
}

ip_prefix prefix_of(const address_bytes& address, unsigned v4_length, unsigned v6_length) {
  ip_prefix prefix;
  prefix.bytes = address;
  const unsigned length =
      is_v4_bytes(address) ? v4_offset + std::min(v4_length, 32u) : std::min(v6_length, 128u);
  prefix.length = static_cast<std::uint8_t>(length);
  mask_bytes(prefix.bytes, length);
  return prefix;
}

prefix_cutter::prefix_cutter(unsigned v4_length, unsigned v6_length) {
  const auto make = [](unsigned length) {
    address_bytes ones;
    ones.fill(0xFF);
    mask_bytes(ones, length);
    mask m;
    std::memcpy(&m.high, ones.data(), 8);
    std::memcpy(&m.low, ones.data() + 8, 8);
    m.length = static_cast<std::uint8_t>(length);
    return m;
  };
  v4_ = make(v4_offset + std::min(v4_length, 32u));
  v6_ = make(std::min(v6_length, 128u));
}

ip_prefix prefix_cutter::cut(const address_bytes& address, bool v4) const {
  const mask& m = v4 ? v4_ : v6_;
  std::uint64_t high;
  std::uint64_t low;
  std::memcpy(&high, address.data(), 8);
  std::memcpy(&low, address.data() + 8, 8);
  high &= m.high;
  low &= m.low;
  ip_prefix prefix;
  std::memcpy(prefix.bytes.data(), &high, 8);
  std::memcpy(prefix.bytes.data() + 8, &low, 8);
  prefix.length = m.length;
  return prefix;
}

std::optional<ip_prefix> parse_prefix(std::string_view text, std::string& reason) {
  const auto slash = text.find('/');
  const auto address_text = text.substr(0, slash);
  auto address = parse_ip_literal(address_text);
  if (!address || (address->is_v6() && address->to_v6().scope_id() != 0)) {
    reason = fmt::format("{} is not an IPv4 or IPv6 address", quoted(address_text));
    return std::nullopt;
  }
  // An IPv4-mapped literal keeps IPv6 lengths: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  const bool v4 = address->is_v4();
  const unsigned family_bits = v4 ? 32 : 128;
  unsigned length = family_bits;
  if (slash != std::string_view::npos) {
    const auto parsed = parse_number<unsigned>(text.substr(slash + 1), 0, family_bits);
    if (parsed) length = *parsed;
    if (!parsed) {
      reason = fmt::format("{} has no prefix length from 0 to {} after the '/'", quoted(text),
                           family_bits);
      return std::nullopt;
    }
  }
  ip_prefix prefix;
  prefix.bytes = to_address_bytes(*address);
  prefix.length = static_cast<std::uint8_t>(v4 ? v4_offset + length : length);
  auto masked = prefix.bytes;
  mask_bytes(masked, prefix.length);
  if (masked != prefix.bytes) {
    prefix.bytes = masked;
    reason = fmt::format("{} has bits set past its prefix length; did you mean {}?", quoted(text),
                         format_prefix(prefix));
    return std::nullopt;
  }
  return prefix;
}

std::optional<std::vector<ip_prefix>> parse_prefix_list(std::string_view text,
                                                        std::string& reason) {
  std::vector<ip_prefix> list;
  if (trim(text).empty()) return list;
  for (const auto item : split_list(text)) {
    if (item.empty()) {
      reason = "has an empty item between commas";
      return std::nullopt;
    }
    auto prefix = parse_prefix(item, reason);
    if (!prefix) return std::nullopt;
    list.push_back(*prefix);
  }
  return list;
}

std::string format_prefix(const ip_prefix& prefix) {
  if (prefix.is_v4()) {
    const auto& b = prefix.bytes;
    return fmt::format("{}.{}.{}.{}/{}", b[12], b[13], b[14], b[15], prefix.length - v4_offset);
  }
  return fmt::format("{}/{}", asio::ip::address_v6(prefix.bytes).to_string(), prefix.length);
}

bool any_contains(const std::vector<ip_prefix>& list, const address_bytes& address) {
  return std::any_of(list.begin(), list.end(),
                     [&](const ip_prefix& prefix) { return prefix.contains(address); });
}

}  // namespace udpecho
