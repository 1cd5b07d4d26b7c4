#include "daemon/echo_service.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <chrono>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/endpoint.hpp"
#include "common/escape.hpp"

namespace udpecho {

namespace {
std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// Ends rate limiting of calmed prefixes and writes log suppression summaries, once a second.
asio::awaitable<void> maintain_guard(echo_service* service, asio::steady_timer* timer) {
  for (;;) {
    timer->expires_after(std::chrono::seconds(1));
    co_await timer->async_wait(asio::use_awaitable);
    service->guard_.tick(monotonic_ns());
  }
}

echo_service::echo_service(std::shared_ptr<const echo_settings> settings)
    : settings_(std::move(settings)), guard_(settings_->abuse) {}

void echo_service::update(std::shared_ptr<const echo_settings> settings) {
  settings_ = std::move(settings);
  guard_.configure(settings_->abuse);
}

void echo_service::serve(asio::io_context& io, std::unique_ptr<datagram_socket> socket) {
  auto* raw = socket.get();
  sockets_.push_back(std::move(socket));
  const auto port = raw->local_endpoint().port();
  if (std::find(own_ports_.begin(), own_ports_.end(), port) == own_ports_.end()) {
    own_ports_.push_back(port);
  }
  if (!guard_timer_) {
    guard_timer_ = std::make_unique<asio::steady_timer>(io);
    asio::co_spawn(io, maintain_guard(this, guard_timer_.get()), asio::detached);
  }
  const auto where = format_endpoint(raw->local_endpoint());
  asio::co_spawn(io, serve_datagrams(this, raw), [this, raw, where](std::exception_ptr error) {
    // A socket closed by retire() ends with whatever error its last system call saw.
    if (release(raw) || !error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      if (e.code() == asio::error::operation_aborted) return;  // closed by stop()
      spdlog::error("{}: stopped serving: {}", where, e.what());
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
  // Every check below reads these facts; none derives them again.
  auto facts = facts_of(request.peer, request.payload);
  if (request.destination) {
    set_destination(facts, *request.destination, request.destination_is_broadcast);
  } else {
    facts.destination_is_broadcast = request.destination_is_broadcast;
  }
  facts.reported_destination = &request.destination;
  ++counters_.datagrams;
  counters_.bytes_received += request.payload.size();
  peers_.add(facts);
  const auto now = batch_time_;
  const auto verdict = guard_.admit(facts, own_ports_, settings.reply_prefix, now);
  if (!verdict.answer) return false;

  const std::size_t reply_size = settings.reply_prefix.size() + request.payload.size();
  const std::size_t max_payload = facts.v4 ? max_udp_payload_v4 : max_udp_payload_v6;
  const bool oversized = reply_size > max_payload;
  if (request.truncated) {
    ++counters_.truncated;
  } else if (oversized) {
    ++counters_.oversized_replies;
  } else {
    ++counters_.replies;
    counters_.bytes_sent += reply_size;
  }

  // Lines are formatted only when the per-prefix log budget allows them.
  if (log_info_ && guard_.may_log(verdict.prefix, now)) log_request(request, local, settings);
  if ((request.truncated || oversized) && log_warn_ && guard_.may_warn(verdict.prefix, now)) {
    warn_unanswered(request, local, reply_size, max_payload);
  }
  return !request.truncated && !oversized;
}

asio::awaitable<void> serve_datagrams(echo_service* service, datagram_socket* socket) {
  std::shared_ptr<const echo_settings> settings = service->settings_;
  const auto local = socket->local_endpoint();  // for log records; asked once, not per datagram
  for (;;) {
    // One datagram per iteration. Most come from the batch at hand by an ordinary call; the
    // coroutine suspends only to send the batch's replies and read (or wait for) the next.
    const datagram* request = socket->try_receive();
    if (request == nullptr) {
      request = co_await socket->receive();
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

void echo_service::log_request(const datagram& request, const asio::ip::udp::endpoint& local,
                               const echo_settings& settings) {
  std::string preview;
  append_escaped_text(preview, request.payload, settings.log_escape, settings.log_payload_bytes);
  datagram_event(request.peer, request.destination.value_or(local.address()), local.port(),
                 request.payload.size())
      .write(spdlog::level::info, fmt::format("{} sent {} bytes: \"{}\"",
                                              format_endpoint(request.peer),
                                              request.payload.size(), preview));
}

void echo_service::warn_unanswered(const datagram& request, const asio::ip::udp::endpoint& local,
                                   std::size_t reply_size, std::size_t max_payload) {
  auto event = drop_event("oversized", request.peer, request.destination.value_or(local.address()));
  event.add(fields::local_port, std::uint64_t{local.port()});
  if (request.truncated) {
    event.write(spdlog::level::warn,
                fmt::format("{}: datagram larger than the receive buffer; not answered",
                            format_endpoint(request.peer)));
  } else {
    event.write(spdlog::level::warn,
                fmt::format("{}: reply of {} bytes would exceed the largest UDP datagram ({}); "
                            "not sent",
                            format_endpoint(request.peer), reply_size, max_payload));
  }
}

void echo_service::stop() {
  for (auto& socket : sockets_) socket->close();
  if (guard_timer_) guard_timer_->cancel();
}

void echo_service::retire(const asio::ip::address& address) {
  for (auto& socket : sockets_) {
    // Retired sockets are closed already and have no local endpoint left to compare.
    if (std::find(retired_.begin(), retired_.end(), socket.get()) != retired_.end()) continue;
    if (socket->local_endpoint().address() != address) continue;
    retired_.push_back(socket.get());
    socket->close();
  }
}

bool echo_service::release(const datagram_socket* socket) {
  const auto found = std::find_if(sockets_.begin(), sockets_.end(),
                                  [socket](const auto& owned) { return owned.get() == socket; });
  if (found == sockets_.end()) return false;
  const bool was_retired = std::find(retired_.begin(), retired_.end(), socket) != retired_.end();
  released_errors_.receive_errors += socket->errors().receive_errors;
  released_errors_.send_errors += socket->errors().send_errors;
  retired_.erase(std::remove(retired_.begin(), retired_.end(), socket), retired_.end());
  sockets_.erase(found);
  return was_retired;
}

std::vector<asio::ip::udp::endpoint> echo_service::endpoints() const {
  std::vector<asio::ip::udp::endpoint> result;
  for (const auto& socket : sockets_) {
    if (std::find(retired_.begin(), retired_.end(), socket.get()) != retired_.end()) continue;
    result.push_back(socket->local_endpoint());
  }
  return result;
}

socket_error_counters echo_service::socket_errors() const {
  socket_error_counters total = released_errors_;
  for (const auto& socket : sockets_) {
    total.receive_errors += socket->errors().receive_errors;
    total.send_errors += socket->errors().send_errors;
  }
  return total;
}

traffic_counters& traffic_counters::operator+=(const traffic_counters& other) {
  datagrams += other.datagrams;
  bytes_received += other.bytes_received;
  replies += other.replies;
  bytes_sent += other.bytes_sent;
  oversized_replies += other.oversized_replies;
  truncated += other.truncated;
  return *this;
}

void summary_totals::add(const echo_service& service) {
  counters += service.counters();
  // Workers see disjoint sources (the kernel steers each source address to one worker), so
  // their distinct peers add up.
  peers += service.peers().count();
  peers_saturated = peers_saturated || service.peers().saturated();
  const auto socket_errors = service.socket_errors();
  errors.receive_errors += socket_errors.receive_errors;
  errors.send_errors += socket_errors.send_errors;
  drops += service.drops();
  rate_table_entries += service.rate_table_entries();
  rate_table_capacity += service.rate_table_capacity();
}

std::string summary_totals::format() const {
  return fmt::format(
      "{} datagrams ({} bytes) from {}{} peers; {} replies ({} bytes); {} oversized replies not "
      "sent; {} receive errors; {} send errors; {}; rate table {} of {} prefixes",
      counters.datagrams, counters.bytes_received, peers_saturated ? "at least " : "", peers,
      counters.replies, counters.bytes_sent, counters.oversized_replies, errors.receive_errors,
      errors.send_errors, format_drops(drops), rate_table_entries, rate_table_capacity);
}

void summary_totals::add_fields(log_event& event) const {
  event.add("UDPECHO_DATAGRAMS", counters.datagrams)
      .add("UDPECHO_BYTES_RECEIVED", counters.bytes_received)
      .add("UDPECHO_PEERS", std::uint64_t{peers})
      .add("UDPECHO_PEERS_SATURATED", std::uint64_t{peers_saturated})
      .add("UDPECHO_REPLIES", counters.replies)
      .add("UDPECHO_BYTES_SENT", counters.bytes_sent)
      .add("UDPECHO_OVERSIZED_REPLIES", counters.oversized_replies)
      .add("UDPECHO_TRUNCATED", counters.truncated)
      .add("UDPECHO_RECEIVE_ERRORS", errors.receive_errors)
      .add("UDPECHO_SEND_ERRORS", errors.send_errors);
  add_drop_fields(event, drops);
  event.add("UDPECHO_RATE_TABLE_ENTRIES", std::uint64_t{rate_table_entries})
      .add("UDPECHO_RATE_TABLE_CAPACITY", std::uint64_t{rate_table_capacity});
}

std::string echo_service::summary() const {
  summary_totals totals;
  totals.add(*this);
  return totals.format();
}

}  // namespace udpecho
