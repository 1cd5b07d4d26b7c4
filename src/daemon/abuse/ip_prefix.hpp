// IP prefixes (CIDR blocks): parsing "10.0.0.0/8" and "2001:db8::/32", matching addresses, and
// cutting an address down to its prefix, as access lists and rate limiting need.
#pragma once

#include <array>
#include <asio/ip/address.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpecho {

/// An address as 16 bytes. IPv4 (and IPv4-mapped IPv6) is stored as ::ffff:a.b.c.d, so that one
/// comparison serves both families and a dual-stack socket's mapped peers match IPv4 prefixes.
using address_bytes = std::array<std::uint8_t, 16>;

address_bytes to_address_bytes(const asio::ip::address& address);

/// a == b, as two 64-bit comparisons: the hot path compares addresses on every datagram, and
/// std::array's operator== calls memcmp.
inline bool same_address(const address_bytes& a, const address_bytes& b) {
  std::uint64_t a_high, a_low, b_high, b_low;
  std::memcpy(&a_high, a.data(), 8);
  std::memcpy(&a_low, a.data() + 8, 8);
  std::memcpy(&b_high, b.data(), 8);
  std::memcpy(&b_low, b.data() + 8, 8);
  return ((a_high ^ b_high) | (a_low ^ b_low)) == 0;
}

/// True for bytes of the ::ffff:a.b.c.d form, i.e. an IPv4 address.
bool is_v4_bytes(const address_bytes& bytes);

/// A CIDR block. `length` counts bits of the 16-byte form: an IPv4 /24 has length 96 + 24.
/// Bits past `length` are always zero, so two equal prefixes compare equal. An IPv6 prefix
/// never contains an IPv4 address, even ::/0.
struct ip_prefix {
  address_bytes bytes{};
  std::uint8_t length = 0;

  bool contains(const address_bytes& address) const;
  bool is_v4() const { return length >= 96 && is_v4_bytes(bytes); }
  friend bool operator==(const ip_prefix& a, const ip_prefix& b) {
    return a.length == b.length && same_address(a.bytes, b.bytes);
  }
};

/// The prefix of `address` that is `v4_length` (IPv4) or `v6_length` (IPv6) bits long.
ip_prefix prefix_of(const address_bytes& address, unsigned v4_length, unsigned v6_length);

/// prefix_of() for one pair of lengths, as two masks worked out once: cutting an address is then
/// two AND operations, cheap enough for every datagram.
class prefix_cutter {
 public:
  prefix_cutter(unsigned v4_length, unsigned v6_length);
  /// The prefix of `address`, whose family `v4` names (as is_v4_bytes(address) would).
  ip_prefix cut(const address_bytes& address, bool v4) const;

 private:
  struct mask {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::uint8_t length = 0;
  };
  mask v4_;
  mask v6_;
};

/// Parses "a.b.c.d/N", "v6/N", or a bare address (a /32 or /128). Bits set past the prefix length
/// are an error, since "10.1.2.3/8" is more likely a typo than a wish for 10.0.0.0/8.
std::optional<ip_prefix> parse_prefix(std::string_view text, std::string& reason);

/// Parses a comma-separated list of prefixes; empty text is an empty list.
std::optional<std::vector<ip_prefix>> parse_prefix_list(std::string_view text, std::string& reason);

/// "10.0.0.0/8", "2001:db8::/32"; IPv4 prefixes print in IPv4 form with their IPv4 length.
std::string format_prefix(const ip_prefix& prefix);

/// True when any prefix of `list` contains `address`.
bool any_contains(const std::vector<ip_prefix>& list, const address_bytes& address);

}  // namespace udpecho
