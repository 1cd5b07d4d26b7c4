#include "daemon/daemon_metrics.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <chrono>

#include "common/endpoint.hpp"
#include "daemon/abuse/loop_guard.hpp"
#include "daemon/echo_service.hpp"
#include "daemon/log_event.hpp"
#include "daemon/server.hpp"
#include "udpecho_version.hpp"

namespace udpecho {
namespace {

std::uint64_t loop_drops(const drop_counters& drops, loop_rule rule) {
  return drops.loop[static_cast<std::size_t>(rule)];
}

asio::ip::tcp::endpoint tcp_endpoint(const listen_address& where) {
  return {where.address, where.port};
}

}  // namespace

daemon_metrics::daemon_metrics(asio::io_context& io, server& daemon)
    : daemon_(daemon),
      start_time_seconds_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count()),
      endpoint_(io, [this] { return gather(); }) {}

metrics_snapshot daemon_metrics::gather() const {
  // The same sum the stop summary makes, with every worker's part as of now.
  daemon_.refresh_figures();
  const auto t = daemon_.figures();
  metrics_snapshot s;
  s.datagrams_received = t.traffic.datagrams;
  s.received_bytes = t.traffic.bytes_received;
  s.replies = t.traffic.replies;
  s.reply_bytes = t.traffic.bytes_sent;
  s.dropped.denied = t.drops.denied;
  s.dropped.loop_low_port = loop_drops(t.drops, loop_rule::source_port);
  s.dropped.loop_own_port = loop_drops(t.drops, loop_rule::own_port);
  s.dropped.loop_group_source = loop_drops(t.drops, loop_rule::source_address);
  s.dropped.loop_group_destination = loop_drops(t.drops, loop_rule::destination_address);
  s.dropped.loop_prefix = loop_drops(t.drops, loop_rule::bounced_reply);
  s.dropped.rate_limited = t.drops.rate_limited;
  // Too large to answer: the reply would exceed a datagram.
  s.dropped.oversized = t.traffic.oversized_replies;
  s.receive_errors = t.errors.receive_errors;
  s.send_errors = t.errors.send_errors;
  s.log_lines_suppressed = t.drops.log_lines_suppressed;
  s.rate_limited_prefixes = t.rate_limited_prefixes;
  s.rate_table_entries = t.rate_table_entries;
  s.rate_table_capacity = t.rate_table_capacity;
  s.peers_seen = t.peers;
  s.workers = daemon_.workers();
  s.reloads_ok = reloads_ok_;
  s.reloads_failed = reloads_failed_;
  s.start_time_seconds = start_time_seconds_;
  s.version = UDPECHO_VERSION;
  return s;
}

void daemon_metrics::log_serving() const {
  if (const auto where = endpoint_.local_endpoint()) {
    spdlog::info("metrics: serving http://{}/metrics",
                 format_endpoint(where->address(), where->port()));
  }
}

void daemon_metrics::start(const std::optional<listen_address>& where) {
  current_ = where;
  if (!where) return;
  endpoint_.serve(endpoint_.open(tcp_endpoint(*where)));
  log_serving();
}

bool daemon_metrics::prepare_reload(const std::optional<listen_address>& next) {
  prepared_.reset();
  next_ = next;
  if (next == current_ || !next) return true;
  try {
    prepared_.emplace(endpoint_.open(tcp_endpoint(*next)));
  } catch (const std::system_error& e) {
    log_event(event_kind::reload_failed)
        .write(spdlog::level::err,
               fmt::format("reload failed: metrics_listen {}: {}; still serving with the previous "
                           "configuration",
                           format_endpoint(next->address, next->port), e.code().message()));
    return false;
  }
  return true;
}

void daemon_metrics::finish_reload(bool applied) {
  ++(applied ? reloads_ok_ : reloads_failed_);
  // Applied only after prepare_reload() succeeded for this reload, so next_ is its address.
  if (applied && next_ != current_) {
    current_ = next_;
    if (prepared_) {
      endpoint_.serve(std::move(*prepared_));
      log_serving();
    } else {
      endpoint_.close();
      spdlog::info("metrics: endpoint closed (metrics_listen is empty)");
    }
  }
  prepared_.reset();  // not applied: the new socket is closed unused
}

}  // namespace udpecho
