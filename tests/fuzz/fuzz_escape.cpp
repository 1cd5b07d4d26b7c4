// libFuzzer target for the escaping rule: whatever the bytes, escape_text's output is valid UTF-8
// holding no C0 or C1 control, DEL, format (Cf) or separator character; it renders at most `cut`
// input bytes, never part of a character; and it decodes back to exactly the bytes shown.
#include <unictype.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/escape.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// The code points of `text`, or nothing when it is not valid UTF-8 (shortest form, no
// surrogates, at most U+10FFFF). Written out here rather than taken from the code under test.
std::optional<std::vector<char32_t>> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t code_point = 0;
    char32_t smallest = 0;
    if (lead < 0x80) {
      length = 1, code_point = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2, code_point = lead & 0x1f, smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, code_point = lead & 0x0f, smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, code_point = lead & 0x07, smallest = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + length > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xc0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (byte & 0x3f);
    }
    if (code_point < smallest || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return std::nullopt;
    }
    out.push_back(code_point);
    i += length;
  }
  return out;
}

bool forbidden(char32_t c) {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;                          // C0, DEL, C1
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;  // bidi
  if ((c >= 0x200b && c <= 0x200f) || c == 0xfeff || c == 0x2028 || c == 0x2029) return true;
  return uc_is_general_category(c, UC_CATEGORY_Cf);
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  std::abort();
}

// The inverse of the rendering escape_text documents.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    require(++i < text.size());
    switch (text[i]) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x':
        require(i + 2 < text.size());
        out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
        i += 2;
        break;
      case 'u': {
        require(i + 1 < text.size() && text[i + 1] == '{');
        const auto close = text.find('}', i + 2);
        require(close != std::string_view::npos && close - (i + 2) >= 4 && close - (i + 2) <= 6);
        char32_t code_point = 0;
        for (std::size_t k = i + 2; k < close; ++k)
          code_point = code_point * 16 + hex_value(text[k]);
        append_utf8(out, code_point);
        i = close;
        break;
      }
      default:
        std::abort();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first byte picks the cut, the second the mode, so that every combination is covered.
  const std::size_t cut = data[0] == 0xff ? std::string_view::npos : data[0];
  const auto mode = (data[1] & 1) ? udpecho::escape_mode::ascii : udpecho::escape_mode::utf8;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto text = udpecho::escape_text(bytes, mode, cut);

  const auto code_points = decode_utf8(text);
  require(code_points.has_value());
  for (char32_t c : *code_points) {
    require(!forbidden(c));
    if (mode == udpecho::escape_mode::ascii) require(c < 0x7f);
  }

  // "..." marks input left out; what is shown decodes back to a prefix of the input that fits
  // the cut and ends on a character boundary.
  std::string_view body = text;
  const bool cut_short = bytes.size() > cut;
  if (cut_short) {
    require(body.ends_with("..."));
    body.remove_suffix(3);
  }
  const auto shown = unescape(body);
  require(bytes.starts_with(shown));
  require(shown.size() <= cut);
  require(cut_short == (shown.size() < bytes.size()));
  if (cut_short) require(shown.size() + 3 >= cut);     // at most one character (4 bytes) left out
  require(udpecho::escape_text(shown, mode) == body);  // no character split in two

  std::string appended = "prefix:";
  udpecho::append_escaped_text(appended, bytes, mode, cut);
  require(appended == "prefix:" + text);
  return 0;
}
