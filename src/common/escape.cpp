#include "common/escape.hpp"

#include <unictype.h>
#include <unistr.h>

#include <cstdint>

namespace udpecho {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += hex_digits[byte >> 4];
  out += hex_digits[byte & 0xf];
}

// `\u{HHHH}`: at least four digits, as many as the code point needs.
void append_code_point(std::string& out, ucs4_t code_point) {
  char digits[8];
  int count = 0;
  for (; code_point != 0 || count < 4; code_point >>= 4)
    digits[count++] = hex_digits[code_point & 0xf];
  out += "\\u{";
  while (count > 0) out += digits[--count];
  out += '}';
}

// An ASCII byte, the same in both modes; false when it is not ASCII.
bool append_ascii(std::string& out, unsigned char byte) {
  switch (byte) {
    case '\n':
      out += "\\n";
      return true;
    case '\r':
      out += "\\r";
      return true;
    case '\t':
      out += "\\t";
      return true;
    case '\\':
      out += "\\\\";
      return true;
    case '"':
      out += "\\\"";
      return true;
    default:
      break;
  }
  if (byte >= 0x80) return false;
  if (byte >= 0x20 && byte < 0x7f) {
    out += static_cast<char>(byte);
  } else {
    append_hex_byte(out, byte);
  }
  return true;
}

bool printable(ucs4_t code_point) {
  return uc_is_general_category_withtable(code_point, UC_CATEGORY_MASK_L | UC_CATEGORY_MASK_M |
                                                          UC_CATEGORY_MASK_N | UC_CATEGORY_MASK_P |
                                                          UC_CATEGORY_MASK_S | UC_CATEGORY_MASK_Zs);
}

}  // namespace

void append_escaped_text(std::string& out, std::string_view bytes, escape_mode mode,
                         std::size_t cut) {
  const std::size_t end = bytes.size() < cut ? bytes.size() : cut;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  out.reserve(out.size() + end + 8);
  std::size_t i = 0;
  while (i < end) {
    if (append_ascii(out, data[i])) {
      ++i;
      continue;
    }
    if (mode == escape_mode::ascii) {
      append_hex_byte(out, data[i]);
      ++i;
      continue;
    }
    // u8_mbtoucr takes only shortest-form sequences of scalar values: overlong forms and
    // surrogates are invalid, and a sequence cut short by the end of input is incomplete.
    ucs4_t code_point = 0;
    const int length = u8_mbtoucr(&code_point, data + i, bytes.size() - i);
    if (length < 0) {
      append_hex_byte(out, data[i]);
      ++i;
      continue;
    }
    const auto size = static_cast<std::size_t>(length);
    if (i + size > end) break;  // the cut would split this character: leave it out whole
    if (printable(code_point)) {
      out.append(bytes.substr(i, size));
    } else {
      append_code_point(out, code_point);
    }
    i += size;
  }
  if (i < bytes.size()) out += "...";
}

std::string escape_text(std::string_view bytes, escape_mode mode, std::size_t cut) {
  std::string out;
  append_escaped_text(out, bytes, mode, cut);
  return out;
}

void append_escaped(std::string& out, std::string_view bytes, std::size_t limit) {
  append_escaped_text(out, bytes, escape_mode::ascii, limit);
}

std::string escape_bytes(std::string_view bytes, std::size_t limit) {
  return escape_text(bytes, escape_mode::ascii, limit);
}

}  // namespace udpecho
