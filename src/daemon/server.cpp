#include "daemon/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <chrono>
#include <future>
#include <optional>

#include "common/endpoint.hpp"
#include "common/escape.hpp"
#include "common/text.hpp"
#include "daemon/daemon_metrics.hpp"
#include "daemon/log_event.hpp"
#include "daemon/net/listeners.hpp"
#include "daemon/net/socket_options.hpp"
#include "daemon/systemd/journal_sink.hpp"
#include "daemon/systemd/listen_fds.hpp"
#include "daemon/systemd/service_status.hpp"

namespace udpecho {
namespace {

bool same_steering(const daemon_config& a, const daemon_config& b) {
  return a.rate_prefix_v4 == b.rate_prefix_v4 && a.rate_prefix_v6 == b.rate_prefix_v6;
}

}  // namespace

server::~server() {
  // Highest first, as a reload removes them.
  while (!workers_.empty()) workers_.pop_back();
}

void server::start(const daemon_config& config) {
  config_ = config;
  std::size_t count = resolve_worker_count(config.workers);
  const auto activation = listen_fds_from_environment();
  if (!activation.ok()) throw startup_error("socket activation: " + activation.error);
  // Worker 1 opens the first sockets; the own ports, which its settings name, are known after.
  workers_.push_back(std::make_unique<worker>(1, settings_for(config, count, {})));
  opened_sockets opened;
  std::shared_ptr<const echo_settings> settings;
  try {
    if (activation.count > 0) {
      socket_activated_ = true;
      spdlog::info(
          "socket activation: serving {} passed by the service manager; bind and port "
          "in the configuration are ignored",
          plural(static_cast<std::size_t>(activation.count), "socket"));
      adopt_inherited_sockets(activation.count, count, opened);
    } else {
      const bool v6_only = wants_v6_only(config.bind);
      if (config.port != 0) {
        for (const auto& address : config.bind) check_port_free({address, config.port}, v6_only);
      }
      listeners_ = bind_listeners(config.bind, config.port, v6_only, 1, opened);
    }
    settings = settings_for(config, count, listeners_);
    while (workers_.size() < count) {
      workers_.push_back(
          std::make_unique<worker>(static_cast<unsigned>(workers_.size() + 1), settings));
    }
    bind_for_workers(listeners_, 1, opened);
  } catch (const std::exception& e) {
    opened.clear();
    throw startup_error(e.what());
  }
  if (count > 1) steer(listeners_, opened, count, config, false);
  workers_.front()->update(settings);
  for (const auto& l : listeners_) spdlog::info("listening on {}", format_endpoint(l.endpoint));
  hand_over(opened);
  for (auto& w : workers_) w->start();
}

void server::adopt_inherited_sockets(int count, std::size_t& worker_count, opened_sockets& opened) {
  for (auto& socket : adopt_listen_fds(workers_.front()->io(), count)) {
    const int descriptor = socket.native_handle();
    const bool shareable = has_reuse_port(descriptor);
    if (worker_count > 1 && !shareable) {
      // Sharing the one descriptor would wake every worker for each datagram and split each
      // source's traffic between them, which per-worker limits cannot allow for.
      spdlog::warn(
          "workers = {}, but the socket systemd passed is not SO_REUSEPORT; serving it "
          "with 1 worker (set ReusePort=yes in the socket unit to use all {})",
          worker_count, worker_count);
      worker_count = 1;
    }
    if (!shareable) max_workers_ = 1;
    const listener where{socket.local_endpoint(), is_v6_only(descriptor)};
    listeners_.push_back(where);
    opened.push_back({0, where, std::move(socket)});
  }
}

std::vector<server::listener> server::bind_listeners(
    const std::vector<asio::ip::address>& addresses, std::uint16_t port, bool v6_only,
    std::size_t worker_count, opened_sockets& opened) {
  std::vector<listener> bound;
  for (const auto& address : addresses) {
    for (std::size_t w = 0; w < worker_count; ++w) {
      auto socket = open_bound_socket(workers_[w]->io(), {address, port}, v6_only);
      if (port == 0) {
        port = socket.local_endpoint().port();
        spdlog::info("port 0: the kernel chose port {}", port);
      }
      if (w == 0) bound.push_back({socket.local_endpoint(), v6_only});
      opened.push_back({w, bound.back(), std::move(socket)});
    }
  }
  return bound;
}

void server::bind_for_workers(const std::vector<listener>& listeners, std::size_t first_worker,
                              opened_sockets& opened) {
  for (const auto& l : listeners) {
    for (std::size_t w = first_worker; w < workers_.size(); ++w) {
      opened.push_back({w, l, open_bound_socket(workers_[w]->io(), l.endpoint, l.v6_only)});
    }
  }
}

void server::steer(const std::vector<listener>& listeners, opened_sockets& opened,
                   std::size_t count, const daemon_config& config, bool kept_groups_too) {
  for (const auto& l : listeners) {
    // The group's last new socket joined it after every other: attached there, the program
    // covers them all.
    asio::ip::udp::socket* last = nullptr;
    for (auto& o : opened) {
      if (o.where.endpoint == l.endpoint) last = &o.socket;
    }
    if (last != nullptr) {
      if (count > 1)
        steer_sources_to_workers(*last, count, config.rate_prefix_v4, config.rate_prefix_v6);
    } else if (kept_groups_too) {
      steer_listener(l.endpoint, l.v6_only, count, config.rate_prefix_v4, config.rate_prefix_v6);
    }
  }
}

std::shared_ptr<const echo_settings> server::settings_for(const daemon_config& config,
                                                          std::size_t worker_count,
                                                          const std::vector<listener>& listeners) {
  echo_settings settings{config.reply_prefix,
                         config.log_payload_bytes,
                         abuse_settings_from(config, static_cast<unsigned>(worker_count)),
                         {},
                         config.log_escape};
  for (const auto& l : listeners) {
    const auto port = l.endpoint.port();
    if (!std::count(settings.own_ports.begin(), settings.own_ports.end(), port)) {
      settings.own_ports.push_back(port);
    }
  }
  return std::make_shared<const echo_settings>(std::move(settings));
}

void server::hand_over(opened_sockets& opened) {
  for (auto& o : opened) {
    const bool wildcard = o.where.endpoint.address().is_unspecified();
    workers_[o.worker]->serve(std::make_unique<datagram_socket>(std::move(o.socket), wildcard));
  }
  opened.clear();
}

std::optional<daemon_config> server::accept(const config_result& loaded,
                                            const std::string& source) const {
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) spdlog::error("{}", error);
    log_event(event_kind::reload_failed)
        .add("UDPECHO_ERRORS", std::uint64_t{loaded.total_errors()})
        .write(spdlog::level::err,
               fmt::format("reload failed: {} has {}; still serving with the previous "
                           "configuration",
                           source, plural(loaded.total_errors(), "error")));
    return std::nullopt;
  }
  auto next = loaded.config;
  if (socket_activated_) {
    if (plan_rebind(config_.bind, config_.port, next.bind, next.port).changed) {
      spdlog::info(
          "reload: bind and port ignored; the sockets come from the service manager "
          "(socket activation)");
    }
    next.bind = config_.bind;  // still what the sockets are, for the next comparison
    next.port = config_.port;
  }
  return next;
}

std::size_t server::worker_count_for(const daemon_config& config) const {
  const std::size_t count = resolve_worker_count(config.workers);
  if (count <= max_workers_) return count;
  spdlog::warn(
      "reload: workers = {}, but the socket systemd passed is not SO_REUSEPORT; serving it with "
      "{} (set ReusePort=yes in the socket unit)",
      count, plural(max_workers_, "worker"));
  return max_workers_;
}

std::vector<server::listener> server::bind_new_addresses(const rebind_plan& plan,
                                                         const daemon_config& next,
                                                         std::size_t worker_count,
                                                         opened_sockets& opened) {
  const bool v6_only = wants_v6_only(next.bind);
  const std::uint16_t current_port = listeners_.empty() ? 0 : listeners_.front().endpoint.port();
  if (next.port != 0 && next.port != current_port) {
    for (const auto& address : plan.open) check_port_free({address, next.port}, v6_only);
  }
  // SO_REUSEPORT lets these bind beside the sockets they replace, whatever the overlap.
  return bind_listeners(plan.open, next.port, v6_only, worker_count, opened);
}

void server::stop_workers_beyond(std::size_t count) {
  // The steering program no longer picks their sockets, so they answer what their queues hold
  // and end.
  while (workers_.size() > count) {
    workers_.back()->stop(retire_drain_batches);
    stopped_workers_ += workers_.back()->figures();
    workers_.pop_back();
  }
}

void server::switch_sockets(const std::shared_ptr<const echo_settings>& settings,
                            const std::vector<listener>& closed, opened_sockets& opened,
                            std::size_t first_new_worker) {
  std::vector<std::future<void>> retired;
  for (auto& w : workers_) {
    w->update(settings);
    // Before the new sockets are served: they may have the same endpoint.
    for (const auto& l : closed) retired.push_back(w->retire(l.endpoint));
  }
  hand_over(opened);
  for (std::size_t i = first_new_worker; i < workers_.size(); ++i) workers_[i]->start();
  // A retired socket answers what it has read and drains a bounded amount first; once it is
  // closed, its address is free and its port refuses.
  for (auto& closing : retired) {
    if (closing.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      spdlog::warn("reload: a retired socket is still draining after 5 seconds");
      break;
    }
  }
}

void server::keep_in_bind_order(const std::vector<asio::ip::address>& bind,
                                const std::vector<listener>& listeners) {
  // So that STATUS= reads like the config.
  listeners_.clear();
  for (const auto& address : bind) {
    for (const auto& l : listeners) {
      if (l.endpoint.address() == address) listeners_.push_back(l);
    }
  }
  for (const auto& l : listeners) {
    if (!contains(bind, l.endpoint.address())) listeners_.push_back(l);  // socket activation
  }
}

void server::confirm_reload(const std::string& source, spdlog::level::level_enum level) const {
  // The new level applies before the confirmation, which the workers' lines may follow at once.
  // The confirmation is said at info under whichever of the two levels shows it, so a reload to a
  // quieter level is still confirmed.
  auto logger = spdlog::default_logger();
  const bool confirm = logger->should_log(spdlog::level::info) || level <= spdlog::level::info;
  logger->set_level(level);
  if (!confirm) return;
  auto at_info = logger->clone(logger->name());
  at_info->set_level(spdlog::level::info);
  log_event(event_kind::reload)
      .add("UDPECHO_SOCKETS", std::uint64_t{listeners_.size()})
      .write(*at_info, spdlog::level::info,
             fmt::format("reloaded {}: serving {}", source, plural(listeners_.size(), "socket")));
}

bool server::reload(const config_result& loaded, const std::string& source,
                    daemon_metrics& metrics) {
  // Nothing a reload meets may end the daemon: it fails, says why, and serves on as before.
  bool counted = false;
  try {
    const bool applied = (!loaded.ok() || metrics.prepare_reload(loaded.config.metrics_listen)) &&
                         apply(loaded, source);
    metrics.finish_reload(applied);
    counted = true;
    return applied;
  } catch (const std::exception& e) {
    if (!counted) metrics.finish_reload(false);
    log_event(event_kind::reload_failed)
        .write(spdlog::level::err,
               fmt::format("reload failed: {}; still serving with the previous configuration",
                           escape_bytes(e.what(), 200)));
    return false;
  }
}

bool server::apply(const config_result& loaded, const std::string& source) {
  const auto next = accept(loaded, source);
  if (!next) return false;
  const std::size_t old_count = workers_.size();
  const std::size_t new_count = worker_count_for(*next);
  const auto plan = plan_rebind(config_.bind, config_.port, next->bind, next->port);
  std::vector<listener> kept;
  std::vector<listener> closed;
  for (const auto& l : listeners_) {
    const bool stays = !plan.changed || contains(plan.keep, l.endpoint.address());
    (stays ? kept : closed).push_back(l);
  }

  // New workers exist from here on, but start only once everything is bound.
  const auto provisional = settings_for(*next, new_count, kept);
  while (workers_.size() < new_count) {
    workers_.push_back(
        std::make_unique<worker>(static_cast<unsigned>(workers_.size() + 1), provisional));
  }
  opened_sockets opened;
  std::vector<listener> added;
  try {
    if (plan.changed) added = bind_new_addresses(plan, *next, new_count, opened);
    bind_for_workers(kept, old_count, opened);
  } catch (const bind_error& e) {
    opened.clear();
    while (workers_.size() > old_count) workers_.pop_back();  // never started
    log_event(event_kind::reload_failed)
        .write(spdlog::level::err,
               fmt::format("reload failed: {}; still serving with the previous configuration",
                           e.what()));
    return false;
  }

  auto listeners = kept;
  listeners.insert(listeners.end(), added.begin(), added.end());
  const bool steering_changed = new_count != old_count || !same_steering(*next, config_);
  steer(listeners, opened, new_count, *next, steering_changed && (old_count > 1 || new_count > 1));
  stop_workers_beyond(new_count);
  switch_sockets(settings_for(*next, new_count, listeners), closed, opened, old_count);

  for (const auto& l : closed) spdlog::info("stopped listening on {}", format_endpoint(l.endpoint));
  for (const auto& l : added) spdlog::info("listening on {}", format_endpoint(l.endpoint));
  if (new_count != old_count) {
    spdlog::info("reload: {} instead of {}", plural(new_count, "worker"), old_count);
  }
  keep_in_bind_order(next->bind, listeners);
  confirm_reload(source, next->log_level);
  config_ = *next;
  return true;
}

void server::stop(const char* signal_name) {
  for (auto& w : workers_) w->stop();
  const auto total = figures();
  log_event stopping(event_kind::stop);
  stopping.add("UDPECHO_SIGNAL", std::string(signal_name));
  total.add_fields(stopping);
  // Records the journal did not take are counted where the journal can still be read.
  const auto unsent = journal_records_dropped();
  stopping.add("UDPECHO_JOURNAL_RECORDS_DROPPED", unsent);
  stopping.write(spdlog::level::info,
                 fmt::format("stopping on {}: {}{}", signal_name, total.format(),
                             unsent ? fmt::format("; {} journal records dropped", unsent) : ""));
  if (workers_.size() > 1) {
    for (const auto& w : workers_) {
      spdlog::info("worker {} of {}: {}", w->number(), workers_.size(), w->figures().format());
    }
  }
}

bool server::workers_turning(std::chrono::seconds limit) const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [limit](const auto& w) { return w->turning(limit); });
}

echo_figures server::figures() const {
  echo_figures total = stopped_workers_;
  for (const auto& w : workers_) total += w->figures();
  return total;
}

void server::refresh_figures() {
  for (auto& w : workers_) w->refresh();
}

std::string server::status() const {
  const auto total = figures();
  std::vector<asio::ip::udp::endpoint> endpoints;
  for (const auto& l : listeners_) endpoints.push_back(l.endpoint);
  auto text = status_text(endpoints, total.traffic.datagrams, total.peers, total.peers_saturated);
  const auto& drops = total.drops;
  if (drops.denied + drops.loop_total() + drops.rate_limited > 0) {
    text += "; " + format_drop_status(drops);
  }
  return text;
}

}  // namespace udpecho
