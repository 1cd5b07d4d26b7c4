// Rendering untrusted bytes for a terminal or a log line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace udpecho {

/// Renders `bytes` as printable ASCII: printable characters other than the backslash stand for
/// themselves; `\n`, `\r`, `\t`, `\\` and `\"` use their C escapes; every other byte becomes
/// `\xHH`. At most `limit` input bytes are rendered; when more remain, `...` is appended.
/// The result never holds a control character, so a peer cannot start a log line or inject a
/// terminal sequence through it.
/// Example: escape_bytes("a\n<0>\x1b", 64) == R"(a\n<0>\x1b)".
std::string escape_bytes(std::string_view bytes, std::size_t limit = std::string_view::npos);

/// Appends the rendering of `bytes` described at escape_bytes() to `out`.
void append_escaped(std::string& out, std::string_view bytes,
                    std::size_t limit = std::string_view::npos);

}  // namespace udpecho
