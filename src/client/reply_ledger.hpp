// Which line a datagram answers. UDP may lose, delay or duplicate a reply, so a reply is paired
// by its content, never by the order it arrives in: it answers the line whose bytes it ends with.
// Every datagram ends with the empty line, so that one is answered only by a reply that is
// exactly the server's prefix.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace udpecho {

/// Where a sent line stands.
enum class line_state {
  pending,   // sent, waiting for its reply
  answered,  // its reply came while it was pending
  given_up,  // every try went unanswered
  refused,   // an ICMP error said nothing answers there
};

/// What a received datagram is.
enum class reply_kind {
  answer,      // the first reply to the pending line
  late,        // the first reply to a line that was given up or refused
  duplicate,   // another reply to a line that already had one
  unexpected,  // it ends with no line that was sent
};

/// One line that was sent.
struct sent_line {
  std::uint64_t number = 0;  // 1 for the first line sent
  std::string bytes;
  line_state state = line_state::pending;
  unsigned replies = 0;
  std::chrono::steady_clock::time_point first_sent{};
};

/// A datagram paired with the line it answers.
struct reply_match {
  reply_kind kind = reply_kind::unexpected;
  std::optional<sent_line> line;  // a copy, empty for unexpected datagrams
};

/// What udpechod puts before the echo unless configured otherwise (its reply_prefix).
inline constexpr std::string_view default_reply_prefix = "server send data:";

/// The lines sent so far (the most recent `remembered` of them) and their replies.
class reply_ledger {
 public:
  explicit reply_ledger(std::size_t remembered = 1000) : remembered_(remembered) {}

  /// Records a new pending line; returns its number.
  std::uint64_t add(std::string bytes, std::chrono::steady_clock::time_point sent_at = {});

  /// Gives line `number` up: no reply after every try, or (`refused`) an ICMP error.
  void give_up(std::uint64_t number, bool refused = false);

  /// Pairs `datagram` with a line and records the reply. Of all lines the datagram ends with,
  /// the longest wins (a reply to "hello" also ends with "lo"); among equal lines, the pending
  /// one, then the most recent. Identical lines cannot be told apart by their replies.
  /// An empty line is paired only with a datagram that is exactly the server's prefix: what came
  /// before the echo in the first reply to the latest non-empty line paired, or
  /// default_reply_prefix until then. A plain echo server's prefix is empty, and its echo of an
  /// empty line is the empty datagram.
  reply_match match(std::string_view datagram);

  /// The line with this number, if it is still remembered.
  const sent_line* find(std::uint64_t number) const;

  /// True while some given-up line has had no reply at all: a late one may still come.
  bool awaiting_late_replies() const;

 private:
  std::size_t remembered_;
  std::uint64_t next_number_ = 1;
  std::deque<sent_line> lines_;
  std::string prefix_{default_reply_prefix};  // the server's, as its replies show it
};

}  // namespace udpecho
