#include "daemon/abuse/loop_guard.hpp"

#include <algorithm>

namespace udpecho {

bool is_group_or_unspecified(const address_bytes& a) {
  return is_group_or_unspecified(a, is_v4_bytes(a));
}

bool is_group_or_unspecified(const address_bytes& a, bool v4) {
  if (v4) {
    const bool unspecified = a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0;
    const bool multicast = (a[12] & 0xF0) == 0xE0;  // 224.0.0.0/4
    const bool broadcast = a[12] == 0xFF && a[13] == 0xFF && a[14] == 0xFF && a[15] == 0xFF;
    return unspecified || multicast || broadcast;
  }
  const bool unspecified = std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
  return unspecified || a[0] == 0xFF;  // ff00::/8
}

loop_rule check_loop(const datagram_facts& facts, std::span<const std::uint16_t> own_ports,
                     std::string_view reply_prefix) {
  // The inetd rules of OpenBSD and NetBSD: low ports are where chargen, echo, daytime and
  // friends answer, and 2049 is NFS, which answers junk with junk.
  if (facts.source_port < 1024 || facts.source_port == 2049) return loop_rule::source_port;
  if (std::find(own_ports.begin(), own_ports.end(), facts.source_port) != own_ports.end()) {
    return loop_rule::own_port;
  }
  if (is_group_or_unspecified(facts.source, facts.v4)) return loop_rule::source_address;
  if (facts.destination_is_broadcast ||
      (facts.has_destination && is_group_or_unspecified(facts.destination))) {
    return loop_rule::destination_address;
  }
  if (!reply_prefix.empty() && facts.payload.starts_with(reply_prefix)) {
    return loop_rule::bounced_reply;
  }
  return loop_rule::none;
}

std::string_view describe(loop_rule rule) {
  switch (rule) {
    case loop_rule::none: return "no loop rule";
    case loop_rule::source_port: return "source port below 1024 or 2049";
    case loop_rule::own_port: return "source port is our own port";
    case loop_rule::source_address: return "multicast, broadcast or unspecified source";
    case loop_rule::destination_address: return "sent to a broadcast or multicast address";
    case loop_rule::bounced_reply: return "payload starts with our reply prefix";
  }
  return "unknown loop rule";
}

}  // namespace udpecho
