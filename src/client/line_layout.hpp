// Where libedit's cursor stands on the screen, so that a line printed above the prompt can first
// wipe the prompt and the text being typed, however many rows they wrap over.
#pragma once

#include <cstddef>
#include <string_view>

namespace udpecho {

/// How many terminal rows below the prompt's first row the cursor stands, when `before_cursor`
/// (the prompt and the text before the cursor, in the locale's encoding) is laid out on a
/// terminal `columns` wide the way libedit lays it out: a wide character that does not fit at
/// the end of a row starts the next one, and a full row moves the cursor to the next.
/// Example, in a UTF-8 locale: rows_above_cursor("> 你好", 5) == 1 (你 fills the first row).
std::size_t rows_above_cursor(std::string_view before_cursor, std::size_t columns);

}  // namespace udpecho
