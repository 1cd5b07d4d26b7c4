// Probe mode: numbered probes at a fixed interval over the connected socket, each reported as
// answered (with its round-trip time), lost, duplicated or out of order, then a summary.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "client/client_options.hpp"
#include "client/console.hpp"
#include "client/probe_tally.hpp"

namespace udpecho {

class probe_run {
 public:
  /// `socket` is connected to the server; all three outlive the run.
  probe_run(asio::ip::udp::socket& socket, const client_options& options, console& out);

  /// "probing 127.0.0.1:5002 (localhost): 10 probes of 56 bytes, 1.0 s apart, 1.0 s timeout".
  std::string header() const;
  /// Prints the two summary lines.
  void print_summary();
  /// True when every probe sent was answered in time.
  bool nothing_lost() const { return tally_.received_count() == tally_.sent_count(); }

 private:
  friend asio::awaitable<void> receive_probe_replies(probe_run* run);
  friend asio::awaitable<void> send_probes(probe_run* run);

  void on_datagram(std::string_view datagram);
  void on_error(const std::error_code& error);
  void expire_lost(std::chrono::steady_clock::time_point now);

  asio::ip::udp::socket& socket_;
  const client_options& options_;
  console& out_;
  std::string server_;
  std::string run_tag_;
  probe_tally tally_;
  asio::steady_timer wake_;
  std::vector<std::chrono::steady_clock::time_point> sent_at_;  // index sequence - 1
  std::deque<std::uint64_t> outstanding_;                       // in the order sent
  std::uint64_t next_sequence_ = 1;
};

/// Receives and reports replies until the socket is closed.
asio::awaitable<void> receive_probe_replies(probe_run* run);

/// Sends every probe and returns when each one is answered or counted as lost.
asio::awaitable<void> send_probes(probe_run* run);

}  // namespace udpecho
