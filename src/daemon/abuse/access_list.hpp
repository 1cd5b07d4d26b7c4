// Which peers may be answered at all: the `allow` and `deny` settings.
#pragma once

#include <vector>

#include "daemon/abuse/ip_prefix.hpp"

namespace udpecho {

/// `deny` wins over `allow`; an empty `allow` lets everyone in who is not denied.
/// Lookups scan the lists, which suits the tens of entries a config file holds.
class access_list {
 public:
  access_list() = default;
  access_list(std::vector<ip_prefix> allow, std::vector<ip_prefix> deny)
      : allow_(std::move(allow)), deny_(std::move(deny)) {}

  bool permits(const address_bytes& address) const {
    if (any_contains(deny_, address)) return false;
    return allow_.empty() || any_contains(allow_, address);
  }
  /// True when every address is permitted, so the caller can skip the check.
  bool open() const { return allow_.empty() && deny_.empty(); }

 private:
  std::vector<ip_prefix> allow_;
  std::vector<ip_prefix> deny_;
};

}  // namespace udpecho
