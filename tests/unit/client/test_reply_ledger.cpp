#include <doctest/doctest.h>

#include "client/reply_ledger.hpp"

using namespace udpecho;

TEST_CASE("a reply answers the pending line it ends with, once") {
  reply_ledger ledger;
  const auto hello = ledger.add("hello");
  CHECK(hello == 1);
  auto m = ledger.match("server send data:hello");
  CHECK(m.kind == reply_kind::answer);
  REQUIRE(m.line);
  CHECK(m.line->number == hello);
  CHECK(ledger.find(hello)->state == line_state::answered);
  m = ledger.match("server send data:hello");
  CHECK(m.kind == reply_kind::duplicate);
  CHECK(m.line->number == hello);
}

TEST_CASE("a reply to a given-up line is late, and never the current line's answer") {
  reply_ledger ledger;
  const auto first = ledger.add("first");
  ledger.give_up(first);
  CHECK(ledger.awaiting_late_replies());
  const auto second = ledger.add("second");
  auto m = ledger.match("server send data:first");
  CHECK(m.kind == reply_kind::late);
  CHECK(m.line->number == first);
  CHECK(ledger.find(second)->state == line_state::pending);
  CHECK_FALSE(ledger.awaiting_late_replies());
  m = ledger.match("server send data:first");
  CHECK(m.kind == reply_kind::duplicate);
  CHECK(m.line->number == first);
  m = ledger.match("server send data:second");
  CHECK(m.kind == reply_kind::answer);
  CHECK(m.line->number == second);
}

TEST_CASE("a refused line expects no late reply, but one that comes is still late") {
  reply_ledger ledger;
  const auto line = ledger.add("knock");
  ledger.give_up(line, true);
  CHECK(ledger.find(line)->state == line_state::refused);
  CHECK_FALSE(ledger.awaiting_late_replies());
  CHECK(ledger.match("knock").kind == reply_kind::late);
}

TEST_CASE("a datagram that ends with no line is unexpected") {
  reply_ledger ledger;
  ledger.add("hello");
  auto m = ledger.match("hello, world");
  CHECK(m.kind == reply_kind::unexpected);
  CHECK_FALSE(m.line);
  CHECK(ledger.match("").kind == reply_kind::unexpected);
  CHECK(reply_ledger().match("anything").kind == reply_kind::unexpected);
}

TEST_CASE("the longest line a reply ends with wins over a shorter suffix") {
  reply_ledger ledger;
  const auto lo = ledger.add("lo");
  ledger.give_up(lo);
  const auto hello = ledger.add("hello");
  auto m = ledger.match("server send data:hello");
  CHECK(m.kind == reply_kind::answer);
  CHECK(m.line->number == hello);
  m = ledger.match("server send data:lo");
  CHECK(m.kind == reply_kind::late);
  CHECK(m.line->number == lo);
}

TEST_CASE("among identical lines the pending one is answered, else the most recent") {
  reply_ledger ledger;
  const auto old_line = ledger.add("same");
  ledger.give_up(old_line);
  const auto new_line = ledger.add("same");
  CHECK(ledger.match("x:same").line->number == new_line);
  reply_ledger other;
  const auto a = other.add("same");
  other.match("same");
  const auto b = other.add("same");
  other.give_up(b);
  (void)a;
  auto m = other.match("same");
  CHECK(m.kind == reply_kind::late);
  CHECK(m.line->number == b);
}

TEST_CASE("binary bytes and an empty line pair by content too") {
  reply_ledger ledger;
  const std::string binary("\0\x01\xff", 3);
  const auto empty = ledger.add("");
  ledger.give_up(empty);
  const auto bin = ledger.add(binary);
  CHECK(ledger.match("p:" + binary).line->number == bin);
  // Only the empty line matches the bare prefix the last reply showed ("p:"); it was given up,
  // so the reply is late.
  CHECK(ledger.match("server send data:").kind == reply_kind::unexpected);
  auto m = ledger.match("p:");
  CHECK(m.kind == reply_kind::late);
  CHECK(m.line->number == empty);
}

TEST_CASE("an empty line is answered only by the bare prefix, never by any datagram") {
  reply_ledger ledger;
  const auto empty = ledger.add("");
  // Before any reply showed the server's prefix, udpechod's default stands for it.
  CHECK(ledger.match(std::string(65507, 'j')).kind == reply_kind::unexpected);
  CHECK(ledger.match("").kind == reply_kind::unexpected);
  CHECK(ledger.match("server send data:junk").kind == reply_kind::unexpected);
  auto m = ledger.match("server send data:");
  CHECK(m.kind == reply_kind::answer);
  CHECK(m.line->number == empty);
}

TEST_CASE("a plain echo server's prefix is empty: its empty datagram answers the empty line") {
  reply_ledger ledger;
  ledger.add("hello");
  CHECK(ledger.match("hello").kind == reply_kind::answer);
  const auto empty = ledger.add("");
  CHECK(ledger.match("server send data:").kind == reply_kind::unexpected);
  auto m = ledger.match("");
  CHECK(m.kind == reply_kind::answer);
  CHECK(m.line->number == empty);
}

TEST_CASE("only the most recent lines are remembered") {
  reply_ledger ledger(2);
  const auto one = ledger.add("one");
  ledger.add("two");
  ledger.add("three");
  CHECK(ledger.find(one) == nullptr);
  CHECK(ledger.match("one").kind == reply_kind::unexpected);
  CHECK(ledger.match("three").kind == reply_kind::answer);
}
