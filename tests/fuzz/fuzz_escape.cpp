// libFuzzer target: escape_bytes must turn any bytes into printable ASCII that decodes back to
// exactly the bytes shown, and append_escaped must agree with it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/escape.hpp"

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  std::abort();
}

// The inverse of the rendering escape_bytes documents.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i >= text.size()) std::abort();
    switch (text[i]) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x':
        if (i + 2 >= text.size()) std::abort();
        out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
        i += 2;
        break;
      default: std::abort();
    }
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the limit, so that cut-off renderings are covered too.
  const std::size_t limit = data[0] == 0xff ? std::string_view::npos : data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto text = udpecho::escape_bytes(bytes, limit);
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) std::abort();  // no control byte can reach a log line
  }
  const bool cut = bytes.size() > limit;
  std::string_view body = text;
  if (cut) {
    if (!body.ends_with("...")) std::abort();
    body.remove_suffix(3);
  }
  if (unescape(body) != bytes.substr(0, cut ? limit : bytes.size())) std::abort();
  std::string appended = "prefix:";
  udpecho::append_escaped(appended, bytes, limit);
  if (appended != "prefix:" + text) std::abort();
  return 0;
}
