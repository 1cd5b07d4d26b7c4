#include "common/escape.hpp"

namespace udpecho {

void append_escaped(std::string& out, std::string_view bytes, std::size_t limit) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  const std::size_t shown = bytes.size() < limit ? bytes.size() : limit;
  out.reserve(out.size() + shown + 8);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    switch (byte) {
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      default: break;
    }
    if (byte >= 0x20 && byte < 0x7f) {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += hex_digits[byte >> 4];
      out += hex_digits[byte & 0xf];
    }
  }
  if (shown < bytes.size()) out += "...";
}

std::string escape_bytes(std::string_view bytes, std::size_t limit) {
  std::string out;
  append_escaped(out, bytes, limit);
  return out;
}

}  // namespace udpecho
