#include <doctest/doctest.h>

#include <cstdint>

#include "common/text.hpp"

using namespace udpecho;

TEST_CASE("trim removes spaces, tabs and carriage returns at the ends only") {
  CHECK(trim("  a b\t\r") == "a b");
  CHECK(trim(" \t ").empty());
}

TEST_CASE("quoted escapes what it shows") {
  CHECK(quoted("a\nb") == "'a\\nb'");
}

TEST_CASE("a comma list keeps its empty items for the caller to judge") {
  const auto items = split_list(" a, ,b ");
  REQUIRE(items.size() == 3);
  CHECK(items[0] == "a");
  CHECK(items[1].empty());
  CHECK(items[2] == "b");
  CHECK(split_list("").size() == 1);
}

TEST_CASE("numbers are whole text, digits only, within their range") {
  CHECK(parse_number<unsigned>("42", 0, 100) == 42u);
  CHECK_FALSE(parse_number<unsigned>("101", 0, 100));
  CHECK_FALSE(parse_number<unsigned>("4 2", 0, 100));
  CHECK_FALSE(parse_number<unsigned>("+4", 0, 100));
  CHECK_FALSE(parse_number<unsigned>("-4", 0, 100));
  CHECK_FALSE(parse_number<unsigned>("", 0, 100));
  CHECK_FALSE(parse_number<std::int64_t>("0", 1, 10));
  CHECK_FALSE(parse_number<std::uint16_t>("65536", 0, 65535));
}
