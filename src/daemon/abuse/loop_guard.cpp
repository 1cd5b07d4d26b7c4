#include "daemon/abuse/loop_guard.hpp"

namespace udpecho {

bool is_group_or_unspecified(const address_bytes& a) {
  return is_group_or_unspecified(a, is_v4_bytes(a));
}

std::string_view describe(loop_rule rule) {
  switch (rule) {
    case loop_rule::none:
      return "no loop rule";
    case loop_rule::source_port:
      return "source port below 1024 or 2049";
    case loop_rule::own_port:
      return "source port is our own port";
    case loop_rule::source_address:
      return "multicast, broadcast or unspecified source";
    case loop_rule::destination_address:
      return "sent to a broadcast or multicast address";
    case loop_rule::bounced_reply:
      return "payload starts with our reply prefix";
  }
  return "unknown loop rule";
}

}  // namespace udpecho
