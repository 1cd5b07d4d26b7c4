#include "client/reply_ledger.hpp"

#include <algorithm>

namespace udpecho {

std::uint64_t reply_ledger::add(std::string bytes, std::chrono::steady_clock::time_point sent_at) {
  sent_line line;
  line.number = next_number_++;
  line.bytes = std::move(bytes);
  line.first_sent = sent_at;
  lines_.push_back(std::move(line));
  if (lines_.size() > remembered_) lines_.pop_front();
  return lines_.back().number;
}

void reply_ledger::give_up(std::uint64_t number, bool refused) {
  for (auto& line : lines_) {
    if (line.number == number && line.state == line_state::pending) {
      line.state = refused ? line_state::refused : line_state::given_up;
    }
  }
}

const sent_line* reply_ledger::find(std::uint64_t number) const {
  for (const auto& line : lines_) {
    if (line.number == number) return &line;
  }
  return nullptr;
}

bool reply_ledger::awaiting_late_replies() const {
  return std::any_of(lines_.begin(), lines_.end(), [](const sent_line& line) {
    return line.state == line_state::given_up && line.replies == 0;
  });
}

reply_match reply_ledger::match(std::string_view datagram) {
  sent_line* best = nullptr;
  // Newest first, so that among equal lines the most recent is met first and kept.
  for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
    // Every datagram ends with the empty line; only the server's bare prefix answers it.
    if (it->bytes.empty() ? datagram != prefix_ : !datagram.ends_with(it->bytes)) continue;
    const bool better = best == nullptr || it->bytes.size() > best->bytes.size() ||
                        (it->bytes.size() == best->bytes.size() &&
                         it->state == line_state::pending && best->state != line_state::pending);
    if (better) best = &*it;
  }
  reply_match result;
  if (best == nullptr) return result;
  if (!best->bytes.empty() && best->replies == 0) {
    prefix_ = std::string(datagram.substr(0, datagram.size() - best->bytes.size()));
  }
  ++best->replies;
  if (best->replies > 1) {
    result.kind = reply_kind::duplicate;
  } else if (best->state == line_state::pending) {
    result.kind = reply_kind::answer;
    best->state = line_state::answered;
  } else {
    result.kind = reply_kind::late;
  }
  result.line = *best;
  return result;
}

}  // namespace udpecho
