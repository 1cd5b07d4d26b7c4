// Rendering untrusted bytes as text for a terminal or a log line: the one escaping rule that the
// daemon and the client share.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace udpecho {

/// What may stand for itself in the rendering.
enum class escape_mode {
  /// Valid UTF-8 whose code points are printable (Unicode general categories L, M, N, P, S and
  /// Zs: letters, marks, numbers, punctuation, symbols, spaces) stands for itself.
  utf8,
  /// Only printable ASCII stands for itself; every other byte is escaped as `\xHH`.
  ascii,
};

/// Renders `bytes` as text that cannot forge or hide anything on a terminal or in a log:
/// - `\n`, `\r`, `\t`, `\\` and `\"` use their C escapes (so a `\` in the output always starts an
///   escape);
/// - every other C0 control, DEL, and every byte that is not part of valid UTF-8 (invalid bytes,
///   overlong and truncated sequences, encoded surrogates) becomes `\xHH`;
/// - in utf8 mode, a valid UTF-8 character that is not printable (C1 controls, format characters
///   such as U+202E or U+200B, line and paragraph separators, private use, unassigned code
///   points) becomes `\u{HHHH}`, its code point in at least four hex digits; in ascii mode every
///   byte above 0x7e becomes `\xHH`.
/// The printable table is libunistring's, so it does not depend on the process's locale.
/// At most `cut` input bytes are rendered, and never part of a character: a character that
/// would be split is left out whole. When input is left out, `...` is appended.
/// Examples: escape_text("你好\x1b[31m") == R"(你好\x1b[31m)";
///           escape_text("a\u202eb") == R"(a\u{202e}b)";
///           escape_text("你好", escape_mode::ascii) == R"(\xe4\xbd\xa0\xe5\xa5\xbd)";
///           escape_text("你好", escape_mode::utf8, 4) == "你...".
std::string escape_text(std::string_view bytes, escape_mode mode = escape_mode::utf8,
                        std::size_t cut = std::string_view::npos);

/// Appends the rendering of `bytes` described at escape_text() to `out`.
void append_escaped_text(std::string& out, std::string_view bytes, escape_mode mode,
                         std::size_t cut = std::string_view::npos);

/// escape_text() in ascii mode: for messages that quote a config value or an argument.
/// Example: escape_bytes("a\n<0>\x1b", 64) == R"(a\n<0>\x1b)".
std::string escape_bytes(std::string_view bytes, std::size_t limit = std::string_view::npos);

/// Appends escape_bytes(bytes, limit) to `out`.
void append_escaped(std::string& out, std::string_view bytes,
                    std::size_t limit = std::string_view::npos);

}  // namespace udpecho
