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
    // libedit shows a tab as spaces to the next multiple of 8, and a character with no width
    // as an escape such as ^X (two cells).
    int width = c == L'\t' ? static_cast<int>(8 - column % 8) : ::wcwidth(c);
    if (width < 0) width = 2;
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
