// libFuzzer target: the config parser must survive any file, and its messages, which reach a
// terminal, must never carry a control character from the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/abuse/ip_prefix.hpp"
#include "daemon/config.hpp"

namespace {
void require_printable(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = udpecho::parse_config(text, "fuzz.conf");
  // At most max_shown_errors messages, then one that counts the rest.
  if (result.errors.size() > udpecho::max_shown_errors + 1) std::abort();
  if (result.total_errors() < result.errors.size()) std::abort();
  for (std::size_t i = 0; i < result.errors.size(); ++i) {
    const auto& error = result.errors[i];
    if (i == udpecho::max_shown_errors ? !error.starts_with("... and ")
                                       : !error.starts_with("fuzz.conf:")) {
      std::abort();
    }
    require_printable(error);
  }
  // The CIDR lists on their own: every prefix parsed prints back to one that parses equal.
  std::string reason;
  if (auto list = udpecho::parse_prefix_list(text, reason)) {
    for (const auto& prefix : *list) {
      std::string again_reason;
      auto again = udpecho::parse_prefix(udpecho::format_prefix(prefix), again_reason);
      if (!again || !(*again == prefix)) std::abort();
    }
  } else {
    require_printable(reason);
  }
  return 0;
}
