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

/// The first rule that `facts` breaks, or loop_rule::none. `own_ports` are the ports we listen
/// on; an empty `reply_prefix` turns the bounce rule off (every payload starts with "").
loop_rule check_loop(const datagram_facts& facts, std::span<const std::uint16_t> own_ports,
                     std::string_view reply_prefix);

/// Words for a log line: "source port below 1024 or 2049".
std::string_view describe(loop_rule rule);

/// True for addresses that stand for more than one host, or none: multicast, 255.255.255.255,
/// 0.0.0.0 and ::.
bool is_group_or_unspecified(const address_bytes& address);
/// The same when the family is known already (`v4` as is_v4_bytes(address) would say).
bool is_group_or_unspecified(const address_bytes& address, bool v4);

}  // namespace udpecho
