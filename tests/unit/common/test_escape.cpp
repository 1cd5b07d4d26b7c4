#include <doctest/doctest.h>

#include <string>

#include "common/escape.hpp"

using udpecho::escape_bytes;
using udpecho::escape_mode;
using udpecho::escape_text;
using namespace std::string_literals;

namespace {
std::string ascii(std::string_view bytes, std::size_t cut = std::string_view::npos) {
  return escape_text(bytes, escape_mode::ascii, cut);
}
}  // namespace

TEST_CASE("printable ASCII stands for itself") {
  CHECK(escape_text("hello, world! <0> ~") == "hello, world! <0> ~");
  CHECK(ascii("hello, world! <0> ~") == "hello, world! <0> ~");
}

TEST_CASE(
    "letters, marks, numbers, punctuation, symbols and spaces of any script stand for "
    "themselves") {
  CHECK(escape_text("你好，世界") == "你好，世界");              // Lo, Po (fullwidth comma)
  CHECK(escape_text("Привет é ñ") == "Привет é ñ");              // Ll, Lu
  CHECK(escape_text("e\u0301") == "e\u0301");                    // Mn: combining acute
  CHECK(escape_text("٣ ½ Ⅻ") == "٣ ½ Ⅻ");                        // Nd, No, Nl
  CHECK(escape_text("«»€ 🙂 ∑") == "«»€ 🙂 ∑");  // Pi, Pf, Sc, So, Sm
  CHECK(escape_text("a\u00a0b\u3000c") == "a\u00a0b\u3000c");    // Zs: no-break, ideographic
}

TEST_CASE("C0 controls, DEL, quotes and backslashes are escaped in both modes") {
  for (auto mode : {escape_mode::utf8, escape_mode::ascii}) {
    CHECK(escape_text("a\nb\rc\td", mode) == R"(a\nb\rc\td)");
    CHECK(escape_text("\"q\" \\", mode) == R"(\"q\" \\)");
    CHECK(escape_text("a\n<0>FORGED\x1b[31m", mode) == R"(a\n<0>FORGED\x1b[31m)");
    CHECK(escape_text("\x7f\x01", mode) == R"(\x7f\x01)");
    CHECK(escape_text("\0x"s, mode) == R"(\x00x)");
  }
}

TEST_CASE("a backslash in the input cannot pass for an escape") {
  CHECK(escape_text(R"(\u{202e})") == R"(\\u{202e})");
  CHECK(escape_text(R"(\x1b)") == R"(\\x1b)");
}

TEST_CASE("C1 controls become code points") {
  CHECK(escape_text("\xc2\x9b"
                    "31m") == R"(\u{009b}31m)");    // CSI
  CHECK(escape_text("\xc2\x85") == R"(\u{0085})");  // NEL
}

TEST_CASE("format characters, bidi controls among them, become code points") {
  CHECK(escape_text("a\u202eb") == R"(a\u{202e}b)");  // RIGHT-TO-LEFT OVERRIDE
  CHECK(escape_text("\u202a\u202b\u202c\u202d") == R"(\u{202a}\u{202b}\u{202c}\u{202d})");
  CHECK(escape_text("\u2066\u2067\u2068\u2069") == R"(\u{2066}\u{2067}\u{2068}\u{2069})");
  CHECK(escape_text("\u200b\u200c\u200d\u200e\u200f") ==
        R"(\u{200b}\u{200c}\u{200d}\u{200e}\u{200f})");
  CHECK(escape_text("\ufeffBOM") == R"(\u{feff}BOM)");
  CHECK(escape_text("\u00ad\u061c\U000e0001") == R"(\u{00ad}\u{061c}\u{e0001})");  // other Cf
}

TEST_CASE("line and paragraph separators, private use and unassigned code points are escaped") {
  CHECK(escape_text("\u2028\u2029") == R"(\u{2028}\u{2029})");
  CHECK(escape_text("\ue000\U000f0000") == R"(\u{e000}\u{f0000})");
  CHECK(escape_text("\u0378\U0010ffff") == R"(\u{0378}\u{10ffff})");  // Cn, noncharacter
}

TEST_CASE("invalid UTF-8 becomes bytes: stray, overlong, surrogate, truncated, too large") {
  CHECK(escape_text("\xff\xfe") == R"(\xff\xfe)");
  CHECK(escape_text("\x80x") == R"(\x80x)");                        // stray continuation
  CHECK(escape_text("\xc0\xaf") == R"(\xc0\xaf)");                  // overlong '/'
  CHECK(escape_text("\xe0\x80\xaf") == R"(\xe0\x80\xaf)");          // overlong '/', 3 bytes
  CHECK(escape_text("\xed\xa0\x80") == R"(\xed\xa0\x80)");          // surrogate U+D800
  CHECK(escape_text("\xe4\xbd") == R"(\xe4\xbd)");                  // truncated by the end
  CHECK(escape_text("\xe4\xbdx你") == R"(\xe4\xbdx你)");            // truncated by a byte
  CHECK(escape_text("\xf4\x90\x80\x80") == R"(\xf4\x90\x80\x80)");  // above U+10FFFF
}

TEST_CASE("ascii mode escapes every byte above 0x7e, as udpechod did before") {
  CHECK(ascii("\xc3\xa9\xff\xfe") == R"(\xc3\xa9\xff\xfe)");
  CHECK(ascii("你好") == R"(\xe4\xbd\xa0\xe5\xa5\xbd)");
  CHECK(escape_bytes("a\u202e") == R"(a\xe2\x80\xae)");
}

TEST_CASE("the cut counts input bytes, never splits a character, and marks what was cut") {
  CHECK(escape_text("abcdef", escape_mode::utf8, 3) == "abc...");
  CHECK(escape_text("abc", escape_mode::utf8, 3) == "abc");
  CHECK(escape_text("\n\n\n", escape_mode::utf8, 2) == R"(\n\n...)");
  CHECK(escape_text("abc", escape_mode::utf8, 0) == "...");
  CHECK(escape_text("", escape_mode::utf8, 0).empty());
  // 你 and 好 are three bytes each: a cut of 4 or 5 shows 你 only, 6 shows both.
  CHECK(escape_text("你好", escape_mode::utf8, 4) == "你...");
  CHECK(escape_text("你好", escape_mode::utf8, 5) == "你...");
  CHECK(escape_text("你好", escape_mode::utf8, 6) == "你好");
  CHECK(escape_text("a🙂", escape_mode::utf8, 4) == "a...");
  CHECK(escape_text("a\u202e", escape_mode::utf8, 2) == "a...");
  // Invalid bytes are one byte each; ascii mode cuts anywhere.
  CHECK(escape_text("\xff\xfe\xfd", escape_mode::utf8, 2) == R"(\xff\xfe...)");
  CHECK(ascii("你好", 4) == R"(\xe4\xbd\xa0\xe5...)");
}

TEST_CASE("no output byte is a C0 control or DEL, whatever the input") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (auto mode : {escape_mode::utf8, escape_mode::ascii}) {
    for (char c : escape_text(all, mode)) {
      const auto byte = static_cast<unsigned char>(c);
      CHECK(byte >= 0x20);
      CHECK(byte != 0x7f);
      if (mode == escape_mode::ascii) CHECK(byte < 0x7f);
    }
  }
}

TEST_CASE("append_escaped_text and append_escaped add to what is there") {
  std::string out = "peer: ";
  udpecho::append_escaped_text(out, "你\n", escape_mode::utf8, 10);
  CHECK(out == R"(peer: 你\n)");
  out = "peer: ";
  udpecho::append_escaped(out, "x\n", 10);
  CHECK(out == R"(peer: x\n)");
}
