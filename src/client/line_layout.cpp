#include "client/line_layout.hpp"

#include <cwchar>

namespace udpecho {

std::size_t rows_above_cursor(std::string_view before_cursor, std::size_t columns) {
  std::size_t row = 0;
  std::size_t column = 0;
  std::mbstate_t state{};
  while (!before_cursor.empty()) {
    wchar_t c = 0;
    std::size_t length = std::mbrtowc(&c, before_cursor.data(), before_cursor.size(), &state);
    if (length == 0 || length > before_cursor.size()) {  // a NUL, or not text: one byte, one cell
      length = 1;
      c = L'?';
      state = {};
    }
    before_cursor.remove_prefix(length);
    // As libedit shows them: a tab as spaces to the next multiple of 8, a control as ^X, and
    // another character the locale cannot print as \U+XXXX (\U+XXXXX above U+FFFF).
    int width = ::wcwidth(c);
    if (c == L'\t') {
      width = static_cast<int>(8 - column % 8);
    } else if (c < 0x20 || c == 0x7f) {
      width = 2;
    } else if (width < 0) {
      width = c > 0xffff ? 8 : 7;
    }
    const auto cells = static_cast<std::size_t>(width);
    if (column + cells > columns) {
      ++row;
      column = 0;
    }
    column += cells;
    if (column >= columns) {
      ++row;
      column = 0;
    }
  }
  return row;
}

}  // namespace udpecho
