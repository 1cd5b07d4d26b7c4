#include "daemon/echo_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <chrono>
#include <exception>

#include "common/endpoint.hpp"
#include "common/escape.hpp"
#include "common/udp_limits.hpp"
#include "daemon/abuse/drop_reasons.hpp"
#include "daemon/log_event.hpp"

namespace udpecho {

asio::awaitable<void> serve_datagrams(echo_service* service, datagram_socket* socket) {
  std::shared_ptr<const echo_settings> settings = service->settings_;
  const auto local = socket->local_endpoint();  // for log records; asked once, not per datagram
  for (;;) {
    // One datagram per iteration. Most come from the batch at hand by an ordinary call; the
    // coroutine suspends only to send the batch's replies and read (or wait for) the next.
    const datagram* request = socket->try_receive();
    if (request == nullptr) {
      request = co_await socket->receive();
      if (request == nullptr) co_return;  // retired, and everything it read is answered
      // Settings change (on reload) only while this coroutine is suspended, and every reply
      // queued with the old prefix has been sent by then: the old settings may go now.
      if (settings != service->settings_) settings = service->settings_;
      service->start_batch();
    }
    if (!service->admit(*request, local, *settings)) continue;
    if (socket->queue_reply(*request, settings->reply_prefix, request->payload)) {
      co_await socket->flush();
    }
  }
}

namespace {
std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

echo_service::echo_service(std::shared_ptr<const echo_settings> settings)
    : settings_(std::move(settings)), guard_(settings_->abuse) {}

void echo_service::update(std::shared_ptr<const echo_settings> settings) {
  settings_ = std::move(settings);
  guard_.configure(settings_->abuse);
  last_peer_.forget();  // the checks of its source may come out otherwise now
}

void echo_service::tick() {
  guard_.tick(monotonic_ns());
}

void echo_service::serve(asio::io_context& io, std::unique_ptr<datagram_socket> socket) {
  auto* raw = socket.get();
  sockets_.push_back(std::move(socket));
  const auto where = format_endpoint(raw->local_endpoint());
  asio::co_spawn(io, serve_datagrams(this, raw), [this, raw, where](std::exception_ptr error) {
    release(raw);
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("{}: stopped serving: {}", where, e.what());
    }
  });
}

void echo_service::start_batch() {
  batch_time_ = monotonic_ns();
  log_info_ = spdlog::should_log(spdlog::level::info);
  log_warn_ = spdlog::should_log(spdlog::level::warn);
}

bool echo_service::admit(const datagram& request, const asio::ip::udp::endpoint& local,
                         const echo_settings& settings) {
  ++counters_.datagrams;
  counters_.bytes_received += request.payload.size();
  // Every check below reads these facts; none derives them again. In a run of datagrams from one
  // peer, what depends on the source alone (its facts, its place in the tally, the checks of the
  // source) is worked out for the first of the run.
  const bool same_peer = last_peer_.matches(request.peer);
  if (same_peer) {
    facts_.peer = &request.peer;
    facts_.payload = request.payload;
  } else {
    facts_ = facts_of(request.peer, request.payload);
    peers_.add(facts_);
  }
  if (request.destination) {
    set_destination(facts_, *request.destination, request.destination_is_broadcast);
  } else {
    facts_.has_destination = false;
    facts_.destination_is_broadcast = request.destination_is_broadcast;
  }
  facts_.reported_destination = &request.destination;
  const auto now = batch_time_;
  const auto verdict = same_peer
                           ? guard_.admit_again(facts_, settings.reply_prefix, now)
                           : guard_.admit(facts_, settings.own_ports, settings.reply_prefix, now);
  if (!same_peer) {
    if (verdict.source_passed) {
      last_peer_.remember(request.peer);
    } else {
      last_peer_.forget();
    }
  }
  if (!verdict.answer) return false;

  const std::size_t reply_size = settings.reply_prefix.size() + request.payload.size();
  const std::size_t max_payload = facts_.v4 ? max_udp_payload_v4 : max_udp_payload_v6;
  const bool oversized = reply_size > max_payload;
  if (oversized) {
    ++counters_.oversized_replies;
  } else {
    ++counters_.replies;
    counters_.bytes_sent += reply_size;
  }

  // Lines are formatted only when the per-prefix log budget allows them.
  if (log_info_ && guard_.may_log(*verdict.prefix, now)) log_request(request, local, settings);
  if (oversized && log_warn_ && guard_.may_warn(*verdict.prefix, now)) {
    warn_unanswered(request, local, reply_size, max_payload);
  }
  return !oversized;
}

void echo_service::log_request(const datagram& request, const asio::ip::udp::endpoint& local,
                               const echo_settings& settings) {
  std::string preview;
  append_escaped_text(preview, request.payload, settings.log_escape, settings.log_payload_bytes);
  datagram_event(request.peer, request.destination.value_or(local.address()), local.port(),
                 request.payload.size())
      .write(spdlog::level::info,
             fmt::format("{} sent {} bytes: \"{}\"", format_endpoint(request.peer),
                         request.payload.size(), preview));
}

void echo_service::warn_unanswered(const datagram& request, const asio::ip::udp::endpoint& local,
                                   std::size_t reply_size, std::size_t max_payload) {
  auto event = drop_event(drop_reasons::oversized, request.peer,
                          request.destination.value_or(local.address()));
  event.add(fields::local_port, std::uint64_t{local.port()});
  event.write(spdlog::level::warn,
              fmt::format("{}: reply of {} bytes would exceed the largest UDP datagram ({}); "
                          "not sent",
                          format_endpoint(request.peer), reply_size, max_payload));
}

void echo_service::retire(const asio::ip::udp::endpoint* endpoint, std::size_t drain_batches,
                          bool hand_over, std::function<void()> closed) {
  for (auto& socket : sockets_) {
    if (socket->retiring()) continue;
    if (endpoint != nullptr && socket->local_endpoint() != *endpoint) continue;
    socket->retire(drain_batches, hand_over);
  }
  if (!closed) return;
  retirements_.push_back({endpoint ? std::optional(*endpoint) : std::nullopt, std::move(closed)});
  release(nullptr);  // runs `closed` now if nothing is left to close
}

void echo_service::release(const datagram_socket* socket) {
  const auto found = std::find_if(sockets_.begin(), sockets_.end(),
                                  [socket](const auto& owned) { return owned.get() == socket; });
  if (found != sockets_.end()) {
    released_errors_.receive_errors += socket->errors().receive_errors;
    released_errors_.send_errors += socket->errors().send_errors;
    sockets_.erase(found);  // closes it
  }
  std::erase_if(retirements_, [this](pending_retirement& pending) {
    const bool open = std::any_of(sockets_.begin(), sockets_.end(), [&](const auto& owned) {
      return owned->retiring() &&
             (!pending.endpoint || owned->local_endpoint() == *pending.endpoint);
    });
    if (!open) pending.closed();
    return !open;
  });
}

echo_figures echo_service::figures() const {
  echo_figures figures;
  figures.traffic = counters_;
  figures.peers = peers_.count();
  figures.peers_saturated = peers_.saturated();
  figures.errors = released_errors_;
  for (const auto& socket : sockets_) {
    figures.errors.receive_errors += socket->errors().receive_errors;
    figures.errors.send_errors += socket->errors().send_errors;
  }
  figures.drops = guard_.drops();
  figures.rate_table_entries = guard_.rate_table_entries();
  figures.rate_table_capacity = guard_.rate_table_capacity();
  figures.rate_limited_prefixes = guard_.rate_limited_prefixes();
  return figures;
}

traffic_counters& traffic_counters::operator+=(const traffic_counters& other) {
  datagrams += other.datagrams;
  bytes_received += other.bytes_received;
  replies += other.replies;
  bytes_sent += other.bytes_sent;
  oversized_replies += other.oversized_replies;
  return *this;
}

echo_figures& echo_figures::operator+=(const echo_figures& other) {
  traffic += other.traffic;
  peers += other.peers;
  peers_saturated = peers_saturated || other.peers_saturated;
  errors.receive_errors += other.errors.receive_errors;
  errors.send_errors += other.errors.send_errors;
  drops += other.drops;
  rate_table_entries += other.rate_table_entries;
  rate_table_capacity += other.rate_table_capacity;
  rate_limited_prefixes += other.rate_limited_prefixes;
  return *this;
}

void echo_figures::add_fields(log_event& event) const {
  event.add("UDPECHO_DATAGRAMS", traffic.datagrams)
      .add("UDPECHO_BYTES_RECEIVED", traffic.bytes_received)
      .add("UDPECHO_PEERS", peers)
      .add("UDPECHO_PEERS_SATURATED", std::uint64_t{peers_saturated})
      .add("UDPECHO_REPLIES", traffic.replies)
      .add("UDPECHO_BYTES_SENT", traffic.bytes_sent)
      .add("UDPECHO_OVERSIZED_REPLIES", traffic.oversized_replies)
      .add("UDPECHO_RECEIVE_ERRORS", errors.receive_errors)
      .add("UDPECHO_SEND_ERRORS", errors.send_errors);
  add_drop_fields(event, drops);
  event.add("UDPECHO_RATE_TABLE_ENTRIES", std::uint64_t{rate_table_entries})
      .add("UDPECHO_RATE_TABLE_CAPACITY", std::uint64_t{rate_table_capacity});
}

std::string echo_figures::format() const {
  return fmt::format(
      "{} datagrams ({} bytes) from {}{} peers; {} replies ({} bytes); {} oversized replies not "
      "sent; {} receive errors; {} send errors; {}; rate table {} of {} prefixes",
      traffic.datagrams, traffic.bytes_received, peers_saturated ? "at least " : "", peers,
      traffic.replies, traffic.bytes_sent, traffic.oversized_replies, errors.receive_errors,
      errors.send_errors, format_drops(drops), rate_table_entries, rate_table_capacity);
}

}  // namespace udpecho
