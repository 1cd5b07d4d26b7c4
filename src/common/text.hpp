// Small helpers for text people type (config values, command lines, the environment) and read
// (messages).
#pragma once

#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpecho {

/// `text` without the spaces, tabs and carriage returns at either end.
std::string_view trim(std::string_view text);

/// Shows a value inside an error message: 'value', escaped (it may hold anything) and cut after
/// `cut` bytes.
std::string quoted(std::string_view value, std::size_t cut = 80);

/// "1 socket", "2 sockets": `count` and `noun`, with an s unless the count is 1.
std::string plural(std::size_t count, std::string_view noun);

/// The items of a comma-separated list, each trimmed; "a, ,b" gives an empty middle item, and
/// "" one empty item, so that callers can say what is wrong with it.
std::vector<std::string_view> split_list(std::string_view text);

/// `text` as a decimal whole number from `low` to `high`: digits only, nothing before or after.
template <typename Number>
std::optional<Number> parse_number(std::string_view text, Number low, Number high) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < low ||
      value > high) {
    return std::nullopt;
  }
  return value;
}

}  // namespace udpecho
