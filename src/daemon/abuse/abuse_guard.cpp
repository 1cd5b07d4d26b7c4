#include "daemon/abuse/abuse_guard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <random>

#include "common/endpoint.hpp"
#include "daemon/abuse/drop_reasons.hpp"
#include "daemon/config.hpp"

namespace udpecho {
namespace {

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

std::size_t rule_index(loop_rule rule) {
  return static_cast<std::size_t>(rule);
}

// UDPECHO_DROP_REASON for a loop rule.
std::string_view drop_reason(loop_rule rule) {
  switch (rule) {
    case loop_rule::source_port:
      return drop_reasons::loop_low_port;
    case loop_rule::own_port:
      return drop_reasons::loop_own_port;
    case loop_rule::source_address:
      return drop_reasons::loop_group_source;
    case loop_rule::destination_address:
      return drop_reasons::loop_group_destination;
    case loop_rule::bounced_reply:
      return drop_reasons::loop_prefix;
    case loop_rule::none:
      break;
  }
  return "loop";
}

constexpr std::array<loop_rule, 5> loop_rules{
    loop_rule::source_port, loop_rule::own_port, loop_rule::source_address,
    loop_rule::destination_address, loop_rule::bounced_reply};

}  // namespace

abuse_settings abuse_settings_from(const daemon_config& config, unsigned workers) {
  abuse_settings s;
  s.loop_protection = config.loop_protection;
  s.rate.rate = config.rate_limit;
  s.rate.burst = config.rate_burst;
  // Each worker sees all of its prefixes' datagrams, so it applies the full rate and burst; only
  // the table, a bound on memory, is shared out.
  s.rate.table_size = table_share(config.rate_table_size, workers);
  s.prefix_v4 = config.rate_prefix_v4;
  s.prefix_v6 = config.rate_prefix_v6;
  s.rate_exempt = config.rate_exempt;
  s.allow = config.allow;
  s.deny = config.deny;
  return s;
}

std::uint64_t drop_counters::loop_total() const {
  std::uint64_t total = 0;
  for (auto n : loop) total += n;
  return total;
}

drop_counters& drop_counters::operator+=(const drop_counters& other) {
  denied += other.denied;
  for (std::size_t i = 0; i < loop.size(); ++i) loop[i] += other.loop[i];
  rate_limited += other.rate_limited;
  log_lines_suppressed += other.log_lines_suppressed;
  return *this;
}

std::string format_drops(const drop_counters& drops) {
  std::string loops;
  for (auto rule : loop_rules) {
    if (!loops.empty()) loops += ", ";
    loops += fmt::format("{} {}", drops.loop[rule_index(rule)], describe(rule));
  }
  return fmt::format("dropped: {} denied, {} loop ({}), {} rate-limited; {} log lines suppressed",
                     drops.denied, drops.loop_total(), loops, drops.rate_limited,
                     drops.log_lines_suppressed);
}

void add_drop_fields(log_event& event, const drop_counters& drops) {
  event.add("UDPECHO_DROPPED_DENIED", drops.denied);
  for (auto rule : loop_rules) {
    // UDPECHO_DROPPED_LOOP_LOW_PORT, ...: the reason's name in capitals.
    static constexpr std::array<std::string_view, 5> names{
        "UDPECHO_DROPPED_LOOP_LOW_PORT", "UDPECHO_DROPPED_LOOP_OWN_PORT",
        "UDPECHO_DROPPED_LOOP_GROUP_SOURCE", "UDPECHO_DROPPED_LOOP_GROUP_DESTINATION",
        "UDPECHO_DROPPED_LOOP_PREFIX"};
    event.add(names[rule_index(rule) - 1], drops.loop[rule_index(rule)]);
  }
  event.add("UDPECHO_DROPPED_RATE_LIMITED", drops.rate_limited)
      .add("UDPECHO_LOG_LINES_SUPPRESSED", drops.log_lines_suppressed);
}

std::string format_drop_status(const drop_counters& drops) {
  return fmt::format("dropped {} denied, {} loop, {} rate-limited", drops.denied,
                     drops.loop_total(), drops.rate_limited);
}

abuse_guard::abuse_guard(const abuse_settings& settings, std::uint64_t seed)
    : settings_(settings),
      access_(settings.allow, settings.deny),
      cutter_(settings.prefix_v4, settings.prefix_v6),
      seed_(seed ? seed : random_seed()),
      rate_(settings.rate, seed_),
      lines_({}, seed_),
      problems_({}, seed_),
      events_({}, seed_) {}

void abuse_guard::configure(const abuse_settings& settings) {
  if (!(settings.rate == settings_.rate) || settings.prefix_v4 != settings_.prefix_v4 ||
      settings.prefix_v6 != settings_.prefix_v6) {
    rate_ = rate_limiter(settings.rate, seed_);
  }
  settings_ = settings;
  access_ = access_list(settings.allow, settings.deny);
  cutter_ = prefix_cutter(settings.prefix_v4, settings.prefix_v6);
  last_.valid = false;  // prefix lengths, lists and exemptions may all have changed
}

void abuse_guard::learn_source(const datagram_facts& facts) {
  const auto prefix = cutter_.cut(facts.source, facts.v4);
  last_.source = facts.source;
  last_.prefix = {prefix, hash_prefix(prefix, seed_)};
  last_.permitted = access_.open() || access_.permits(facts.source);
  last_.rate_exempt = any_contains(settings_.rate_exempt, facts.source);
  last_.valid = true;
}

void abuse_guard::denied(const datagram_facts& facts, const hashed_prefix& prefix,
                         nanoseconds now) {
  ++drops_.denied;
  if (spdlog::should_log(spdlog::level::info) && problems_.allow(prefix, now)) {
    drop_event(drop_reasons::denied, *facts.peer, *facts.reported_destination)
        .write(spdlog::level::info,
               fmt::format("{}: not answered: denied by allow/deny", format_endpoint(*facts.peer)));
  }
}

void abuse_guard::looped(const datagram_facts& facts, loop_rule rule, const hashed_prefix& prefix,
                         nanoseconds now) {
  ++drops_.loop[rule_index(rule)];
  if (spdlog::should_log(spdlog::level::warn) && problems_.allow(prefix, now)) {
    drop_event(drop_reason(rule), *facts.peer, *facts.reported_destination)
        .write(spdlog::level::warn, fmt::format("{}: not answered: {} (loop protection)",
                                                format_endpoint(*facts.peer), describe(rule)));
  }
}

void abuse_guard::rate_limited(const datagram_facts& facts, const hashed_prefix& prefix,
                               nanoseconds now) {
  ++drops_.rate_limited;
  // Each one at debug only: at the default level the start and stop lines tell the story.
  if (spdlog::should_log(spdlog::level::debug) && problems_.allow(prefix, now)) {
    drop_event(drop_reasons::rate_limited, *facts.peer, *facts.reported_destination)
        .write(spdlog::level::debug,
               fmt::format("{}: not answered: rate-limited", format_endpoint(*facts.peer)));
  }
}

void abuse_guard::log_rate_events(nanoseconds now) {
  for (const auto& event : rate_.take_events()) {
    if (!spdlog::should_log(spdlog::level::warn) || !events_.allow(event.prefix, now)) continue;
    const auto prefix = format_prefix(event.prefix);
    const bool started = event.what == rate_event::kind::started;
    log_event record(started ? event_kind::rate_limit_start : event_kind::rate_limit_stop);
    record.add(fields::prefix, prefix);
    switch (event.what) {
      case rate_event::kind::started:
        record.add("UDPECHO_RATE_LIMIT", std::uint64_t{settings_.rate.rate})
            .add("UDPECHO_RATE_BURST", std::uint64_t{settings_.rate.burst})
            .write(spdlog::level::warn,
                   fmt::format("rate limiting {}: over {} datagrams/s (burst {}); not answering "
                               "the excess",
                               prefix, settings_.rate.rate, settings_.rate.burst));
        break;
      case rate_event::kind::stopped:
        record.add(fields::dropped, event.dropped)
            .write(spdlog::level::warn,
                   fmt::format("rate limiting {} stopped: {} datagrams dropped", prefix,
                               event.dropped));
        break;
      case rate_event::kind::forgotten:
        record.add(fields::dropped, event.dropped)
            .add("UDPECHO_FORGOTTEN", std::uint64_t{1})
            .write(spdlog::level::warn,
                   fmt::format("rate limiting {} stopped: {} datagrams dropped; forgotten to make "
                               "room in the rate table",
                               prefix, event.dropped));
        break;
    }
  }
}

void abuse_guard::tick(nanoseconds now) {
  rate_.sweep(now);
  if (rate_.has_events()) log_rate_events(now);
  for (auto* limiter : {&lines_, &problems_, &events_}) {
    for (const auto& summary : limiter->due_summaries(now)) {
      log_event record(event_kind::log_suppressed);
      if (summary.prefix) {
        record.add(fields::prefix, format_prefix(*summary.prefix));
      } else {
        record.add("UDPECHO_PREFIXES", summary.prefixes);
      }
      record.add(fields::suppressed, summary.lines).write(spdlog::level::info, summary.text());
    }
  }
}

drop_counters abuse_guard::drops() const {
  auto drops = drops_;
  drops.log_lines_suppressed =
      lines_.suppressed_total() + problems_.suppressed_total() + events_.suppressed_total();
  return drops;
}

}  // namespace udpecho
