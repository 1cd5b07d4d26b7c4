#include <doctest/doctest.h>

#include <asio/error.hpp>

#include "client/messages.hpp"
#include "client/resolve.hpp"

using namespace udpecho;
using namespace std::chrono_literals;

TEST_CASE("the reply line") {
  CHECK(reply_message(escape_mode::utf8, "server send data:hello", "127.0.0.1:5002", 210us) ==
        "server send data:hello  (from 127.0.0.1:5002, 0.21 ms)");
  CHECK(reply_message(escape_mode::utf8, "a\x1b[2Jb\n", "[::1]:7", 1500us) ==
        "a\\x1b[2Jb\\n  (from [::1]:7, 1.50 ms)");
  CHECK(reply_message(escape_mode::utf8, "x", "127.0.0.1:5002", 210us, 2) ==
        "x  (from 127.0.0.1:5002, 0.21 ms after try 2)");
}

TEST_CASE("a reply is text on a UTF-8 terminal and ASCII on any other, escaped the same way") {
  CHECK(reply_message(escape_mode::utf8, "data:你好\u202e", "127.0.0.1:5002", 210us) ==
        "data:你好\\u{202e}  (from 127.0.0.1:5002, 0.21 ms)");
  CHECK(reply_message(escape_mode::ascii, "data:你", "127.0.0.1:5002", 210us) ==
        "data:\\xe4\\xbd\\xa0  (from 127.0.0.1:5002, 0.21 ms)");
  CHECK(late_reply_message(escape_mode::utf8, "p:你", "h:1", 1ms, 2, "你") ==
        "late reply to line 2 \"你\", 1.00 ms after it was sent: p:你  (from h:1)");
  CHECK(unexpected_datagram_message(escape_mode::utf8, "\xc2\x9b", "h:1") ==
        "unexpected datagram: \\u{009b}  (from h:1, 2 bytes, answers no line sent)");
}

TEST_CASE("failures, each on one line") {
  CHECK(no_reply_message("127.0.0.1:5002", 3, 1s) ==
        "no reply from 127.0.0.1:5002 after 3 tries (1.0 s each): the datagram or its reply was "
        "lost, or nothing answers there");
  CHECK(no_reply_message("127.0.0.1:5002", 1, 250ms)
            .starts_with("no reply from 127.0.0.1:5002 after 1 try (0.25 s each)"));
  CHECK(socket_error_message("127.0.0.1:5002", asio::error::connection_refused) ==
        "127.0.0.1:5002 refused: nothing is listening on that port (is udpechod running?)");
  CHECK(socket_error_message("10.0.0.1:5002", asio::error::host_unreachable)
            .starts_with("10.0.0.1:5002 unreachable: no route to that host"));
  CHECK(socket_error_message("10.0.0.1:5002", asio::error::network_unreachable)
            .starts_with("10.0.0.1:5002 unreachable: no route to that network"));
  CHECK(retry_message("127.0.0.1:5002", 2, 3, 1s) ==
        "no reply from 127.0.0.1:5002 within 1.0 s; sending again (try 2 of 3)");
  CHECK(oversized_line_message(70000, 65507) ==
        "line of 70000 bytes not sent: it is longer than the largest UDP datagram (65507 bytes)");
}

TEST_CASE("late, duplicate and unexpected datagrams name the line they belong to") {
  CHECK(late_reply_message(escape_mode::utf8, "p:first", "127.0.0.1:5002", 1200ms, 1, "first") ==
        "late reply to line 1 \"first\", 1200.00 ms after it was sent: p:first  (from "
        "127.0.0.1:5002)");
  CHECK(duplicate_reply_message(escape_mode::utf8, "p:dup", "127.0.0.1:5002", 4, "dup") ==
        "duplicate reply to line 4 \"dup\": p:dup  (from 127.0.0.1:5002)");
  CHECK(unexpected_datagram_message(escape_mode::utf8, "\x07odd", "127.0.0.1:5002") ==
        "unexpected datagram: \\x07odd  (from 127.0.0.1:5002, 4 bytes, answers no line sent)");
}

TEST_CASE("a name's address: the requested family, else IPv4 first") {
  const auto v6 = asio::ip::make_address("::1");
  const auto v4 = asio::ip::make_address("127.0.0.1");
  CHECK(pick_address({v6, v4}, address_family::any) == v4);
  CHECK(pick_address({v6, v4}, address_family::v6) == v6);
  CHECK(pick_address({v6}, address_family::any) == v6);
  CHECK_FALSE(pick_address({v6}, address_family::v4));
  CHECK_FALSE(pick_address({}, address_family::any));
}
