// Loop and reflection rules: datagrams that are answered by no well-behaved echo server, because
// answering them can start a packet loop (echo <-> chargen, echo <-> echo) or hit many hosts.
#pragma once

#include <cstdint>
#include <cstring>
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
    std::uint32_t v4_address;  // in network order: a[12] is its first byte in memory
    std::memcpy(&v4_address, a.data() + 12, 4);
    const bool multicast = (a[12] & 0xF0) == 0xE0;  // 224.0.0.0/4
    return v4_address == 0 || v4_address == 0xFFFFFFFFu || multicast;
  }
  return same_address(a, address_bytes{}) || a[0] == 0xFF;  // ::, ff00::/8
}
bool is_group_or_unspecified(const address_bytes& address);

/// The first rule about the datagram's source (port and address) that `facts` break, or
/// loop_rule::none. `own_ports` are the ports we listen on. It depends on the source alone, so a
/// caller may keep the answer for a run of datagrams from one peer.
inline loop_rule check_source(const datagram_facts& facts,
                              std::span<const std::uint16_t> own_ports) {
  // The inetd rules of OpenBSD and NetBSD: low ports are where chargen, echo, daytime and
  // friends answer, and 2049 is NFS, which answers junk with junk.
  if (facts.source_port < 1024 || facts.source_port == 2049) return loop_rule::source_port;
  for (const auto port : own_ports) {
    if (port == facts.source_port) return loop_rule::own_port;
  }
  if (is_group_or_unspecified(facts.source, facts.v4)) return loop_rule::source_address;
  return loop_rule::none;
}

/// The first rule about where the datagram went and what it carries that `facts` break, or
/// loop_rule::none. An empty `reply_prefix` turns the bounce rule off (every payload starts
/// with "").
inline loop_rule check_content(const datagram_facts& facts, std::string_view reply_prefix) {
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

/// The first rule that `facts` break, or loop_rule::none: check_source(), then check_content().
inline loop_rule check_loop(const datagram_facts& facts, std::span<const std::uint16_t> own_ports,
                            std::string_view reply_prefix) {
  const auto rule = check_source(facts, own_ports);
  return rule != loop_rule::none ? rule : check_content(facts, reply_prefix);
}

}  // namespace udpecho
