// Loop and reflection rules: datagrams that are answered by no well-behaved echo server, because
// answering them can start a packet loop (echo <-> chargen, echo <-> echo) or hit many hosts.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/abuse/datagram_facts.hpp"
#include "daemon/abuse/ip_prefix.hpp"

namespace udpecho {

enum class loop_rule {
  none,                 // nothing wrong: answer
  source_port,          // 0, below 1024 (echo, chargen, daytime, DNS, ...) or 2049 (NFS)
  own_port,             // from our own port: another echo server, maybe another udpechod
  source_address,       // multicast, broadcast or unspecified source: the reply would fan out
  destination_address,  // sent to broadcast or multicast (Fraggle): many servers would reply
  bounced_reply,        // payload starts with our reply prefix: an echo server bounced our reply
};

/// Words for a log line: "source port below 1024 or 2049".
std::string_view describe(loop_rule rule);

/// True for addresses that stand for more than one host, or none: multicast, 255.255.255.255,
/// 0.0.0.0 and ::. `v4` says what is_v4_bytes(address) would.
inline bool is_group_or_unspecified(const address_bytes& a, bool v4) {
  if (v4) {
    const bool unspecified = a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0;
    const bool multicast = (a[12] & 0xF0) == 0xE0;  // 224.0.0.0/4
    const bool broadcast = a[12] == 0xFF && a[13] == 0xFF && a[14] == 0xFF && a[15] == 0xFF;
    return unspecified || multicast || broadcast;
  }
  return same_address(a, address_bytes{}) || a[0] == 0xFF;  // ::, ff00::/8
}
bool is_group_or_unspecified(const address_bytes& address);

/// The first rule that `facts` breaks, or loop_rule::none. `own_ports` are the ports we listen
/// on; an empty `reply_prefix` turns the bounce rule off (every payload starts with "").
/// Inline: every datagram passes here, and nearly all pass every rule.
inline loop_rule check_loop(const datagram_facts& facts, std::span<const std::uint16_t> own_ports,
                            std::string_view reply_prefix) {
  // The inetd rules of OpenBSD and NetBSD: low ports are where chargen, echo, daytime and
  // friends answer, and 2049 is NFS, which answers junk with junk.
  if (facts.source_port < 1024 || facts.source_port == 2049) return loop_rule::source_port;
  for (const auto port : own_ports) {
    if (port == facts.source_port) return loop_rule::own_port;
  }
  if (is_group_or_unspecified(facts.source, facts.v4)) return loop_rule::source_address;
  if (facts.destination_is_broadcast ||
      (facts.has_destination && is_group_or_unspecified(facts.destination))) {
    return loop_rule::destination_address;
  }
  // The first byte rules out nearly every payload before a call to compare the rest.
  if (!reply_prefix.empty() && !facts.payload.empty() && facts.payload[0] == reply_prefix[0] &&
      facts.payload.starts_with(reply_prefix)) {
    return loop_rule::bounced_reply;
  }
  return loop_rule::none;
}

}  // namespace udpecho
