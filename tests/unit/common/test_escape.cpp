#include <doctest/doctest.h>

#include "common/escape.hpp"

using udpecho::escape_bytes;
using namespace std::string_literals;

TEST_CASE("printable ASCII stands for itself") {
  CHECK(escape_bytes("hello, world! <0> ~") == "hello, world! <0> ~");
}

TEST_CASE("control characters, quotes and backslashes are escaped") {
  CHECK(escape_bytes("a\nb\rc\td") == R"(a\nb\rc\td)");
  CHECK(escape_bytes("\"q\" \\") == R"(\"q\" \\)");
  CHECK(escape_bytes("a\n<0>FORGED\x1b[31m") == R"(a\n<0>FORGED\x1b[31m)");
  CHECK(escape_bytes("\x7f\x01") == R"(\x7f\x01)");
}

TEST_CASE("NUL and bytes above 0x7f become hex, including invalid UTF-8") {
  CHECK(escape_bytes("\0x"s) == R"(\x00x)");
  CHECK(escape_bytes("\xc3\xa9\xff\xfe") == R"(\xc3\xa9\xff\xfe)");
}

TEST_CASE("the limit counts input bytes and marks what was cut") {
  CHECK(escape_bytes("abcdef", 3) == "abc...");
  CHECK(escape_bytes("abc", 3) == "abc");
  CHECK(escape_bytes("\n\n\n", 2) == R"(\n\n...)");
  CHECK(escape_bytes("abc", 0) == "...");
  CHECK(escape_bytes("", 0).empty());
}

TEST_CASE("no output byte is a control character, whatever the input") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (char c : escape_bytes(all)) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK((byte >= 0x20 && byte < 0x7f));
  }
}

TEST_CASE("append_escaped adds to what is there") {
  std::string out = "peer: ";
  udpecho::append_escaped(out, "x\n", 10);
  CHECK(out == R"(peer: x\n)");
}
