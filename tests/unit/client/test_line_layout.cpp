#include <doctest/doctest.h>

#include <clocale>

#include "client/line_layout.hpp"

using udpecho::rows_above_cursor;

namespace {
// Character widths come from the locale, as they do for libedit in the client.
struct utf8_locale {
  utf8_locale() { REQUIRE(std::setlocale(LC_ALL, "C.UTF-8") != nullptr); }
  ~utf8_locale() { std::setlocale(LC_ALL, "C"); }
};
}  // namespace

TEST_CASE("a line shorter than the terminal keeps the cursor on the prompt's row") {
  utf8_locale locale;
  CHECK(rows_above_cursor("> ", 80) == 0);
  CHECK(rows_above_cursor("> hello", 80) == 0);
  CHECK(rows_above_cursor("> 你好", 80) == 0);
}

TEST_CASE("a full row moves the cursor to the next") {
  utf8_locale locale;
  CHECK(rows_above_cursor("> abc", 5) == 1);
  CHECK(rows_above_cursor("> ab", 5) == 0);
  CHECK(rows_above_cursor("> abcdefgh", 5) == 2);
}

TEST_CASE("wide characters take two cells, and one that does not fit starts the next row") {
  utf8_locale locale;
  CHECK(rows_above_cursor("> 你", 5) == 0);    // 4 cells
  CHECK(rows_above_cursor("> 你好", 5) == 1);  // 你 to column 4, 好 cannot fit: next row
  CHECK(rows_above_cursor("> 你好", 6) == 1);  // exactly 6 cells: the row is full
  CHECK(rows_above_cursor("ab你c", 3) == 2);   // 你 leaves a cell empty: c fills the second row
  CHECK(rows_above_cursor("> "
                          "长长长长长长长长长长长长长",
                          20) == 1);  // 28 cells
  CHECK(rows_above_cursor("> "
                          "长长长长长长长长长长长长长长长长长长长",
                          20) == 2);  // 9 + 10
}

TEST_CASE("a tab reaches the next multiple of 8; a control shows as ^X; a mark takes no cell") {
  utf8_locale locale;
  CHECK(rows_above_cursor("> \t", 8) == 1);
  CHECK(rows_above_cursor("> \x01", 4) == 1);
  CHECK(rows_above_cursor("> e\u0301", 4) == 0);  // e and a combining acute: one cell
  CHECK(rows_above_cursor("> e\u0301f", 4) == 1);
}
