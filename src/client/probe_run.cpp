#include "client/probe_run.hpp"

#include <fmt/format.h>
#include <asio/buffer.hpp>

#include "client/async.hpp"
#include "client/messages.hpp"
#include "client/probe_payload.hpp"
#include "common/endpoint.hpp"

namespace udpecho {

probe_run::probe_run(asio::ip::udp::socket& socket, const client_options& options, console& out)
    : socket_(socket),
      options_(options),
      out_(out),
      server_(format_endpoint(socket.remote_endpoint())),
      run_tag_(make_run_tag()),
      wake_(socket.get_executor()) {}

std::string probe_run::header() const {
  return fmt::format("probing {} ({}): {} probes of {} bytes, {} s apart, {} s timeout", server_,
                     options_.host, *options_.count, options_.size,
                     format_seconds(options_.interval), format_seconds(options_.timeout));
}

void probe_run::print_summary() {
  out_.result(fmt::format("--- {} probe statistics ---", server_));
  out_.result(tally_.counts_line());
  out_.result(tally_.rtt_line());
}

void probe_run::on_datagram(std::string_view datagram) {
  const auto now = std::chrono::steady_clock::now();
  const auto sequence = probe_sequence(datagram, run_tag_, options_.size);
  if (!sequence || *sequence == 0 || *sequence > sent_at_.size()) {
    out_.result(unexpected_datagram_message(options_.text, datagram, server_));
    return;
  }
  const auto rtt = now - sent_at_[*sequence - 1];
  const auto previous_highest = tally_.highest_answered();
  switch (tally_.reply(*sequence, rtt)) {
    case probe_reply_kind::in_order:
      out_.result(fmt::format("probe {}: reply in {}", *sequence, format_rtt(rtt)));
      break;
    case probe_reply_kind::reordered:
      out_.result(fmt::format("probe {}: reply in {}, out of order (after the reply to probe {})",
                              *sequence, format_rtt(rtt), previous_highest));
      break;
    case probe_reply_kind::duplicate:
      out_.result(fmt::format("probe {}: duplicate reply, {} after it was sent", *sequence,
                              format_rtt(rtt)));
      break;
    case probe_reply_kind::late:
      out_.result(
          fmt::format("probe {}: late reply, {} after it was sent (already counted as lost)",
                      *sequence, format_rtt(rtt)));
      break;
    case probe_reply_kind::unknown:
      out_.result(unexpected_datagram_message(options_.text, datagram, server_));
      break;
  }
  // The sender may be waiting only for the last replies.
  wake_.cancel();
}

void probe_run::on_error(const std::error_code& error) {
  // An ICMP error answers the most recent probe still waiting for its reply.
  for (auto it = outstanding_.rbegin(); it != outstanding_.rend(); ++it) {
    if (tally_.lost(*it)) {
      out_.result(fmt::format("probe {}: {}", *it, socket_error_message(server_, error)));
      wake_.cancel();
      return;
    }
  }
  out_.note(socket_error_message(server_, error));
}

void probe_run::expire_lost(std::chrono::steady_clock::time_point now) {
  while (!outstanding_.empty()) {
    const auto sequence = outstanding_.front();
    if (!tally_.outstanding(sequence)) {
      outstanding_.pop_front();
    } else if (sent_at_[sequence - 1] + options_.timeout <= now) {
      tally_.lost(sequence);
      out_.result(fmt::format("probe {}: lost (no reply within {} s)", sequence,
                              format_seconds(options_.timeout)));
      outstanding_.pop_front();
    } else {
      break;
    }
  }
}

asio::awaitable<void> receive_probe_replies(probe_run* run) {
  std::vector<char> buffer(65536);
  for (;;) {
    auto [error, size] = co_await run->socket_.async_receive(asio::buffer(buffer), use_tuple);
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      run->on_error(error);
      continue;
    }
    run->on_datagram(std::string_view(buffer.data(), size));
  }
}

asio::awaitable<void> send_probes(probe_run* run) {
  auto& r = *run;
  const std::uint64_t count = *r.options_.count;
  using clock = std::chrono::steady_clock;
  auto next_send = clock::now();
  for (;;) {
    const auto now = clock::now();
    r.expire_lost(now);
    if (r.next_sequence_ <= count && now >= next_send) {
      const auto sequence = r.next_sequence_++;
      const std::string payload = make_probe_payload(r.run_tag_, sequence, r.options_.size);
      r.sent_at_.push_back(clock::now());
      r.tally_.sent(sequence);
      r.outstanding_.push_back(sequence);
      auto [error, sent] = co_await r.socket_.async_send(asio::buffer(payload), use_tuple);
      if (error && r.tally_.lost(sequence)) {
        r.out_.result(
            fmt::format("probe {}: {}", sequence, socket_error_message(r.server_, error)));
      }
      next_send += r.options_.interval;
      continue;
    }
    if (r.next_sequence_ > count && r.outstanding_.empty()) co_return;
    auto wake_at = r.next_sequence_ <= count ? next_send : clock::time_point::max();
    if (!r.outstanding_.empty()) {
      wake_at = std::min(wake_at, r.sent_at_[r.outstanding_.front() - 1] + r.options_.timeout);
    }
    r.wake_.expires_at(wake_at);
    co_await r.wake_.async_wait(use_tuple);
  }
}

}  // namespace udpecho
