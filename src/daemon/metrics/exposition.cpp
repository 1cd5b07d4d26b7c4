#include "daemon/metrics/exposition.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <utility>
#include <vector>

namespace udpecho {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class families {
 public:
  /// A family of one series without labels.
  void add(const char* name, const char* help, MetricType type, double value) {
    start(name, help, type);
    sample({}, {}, value);
  }

  void start(const char* name, const char* help, MetricType type) {
    list_.push_back(MetricFamily{name, help, type, {}});
  }

  /// A series of the family started last; no label when `label` is empty.
  void sample(const char* label, const char* label_value, double value) {
    auto& family = list_.back();
    ClientMetric metric;
    if (label != nullptr) metric.label.push_back({label, label_value});
    if (family.type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
  }

  const std::vector<MetricFamily>& list() const { return list_; }

 private:
  std::vector<MetricFamily> list_;
};

double number(std::uint64_t value) {
  return static_cast<double>(value);
}

}  // namespace

std::string render_exposition(const metrics_snapshot& s) {
  families f;
  const auto counter = MetricType::Counter;
  const auto gauge = MetricType::Gauge;
  f.add("udpechod_datagrams_received_total", "Datagrams received, answered or not.", counter,
        number(s.datagrams_received));
  f.add("udpechod_received_bytes_total", "Payload bytes of the datagrams received.", counter,
        number(s.received_bytes));
  f.add("udpechod_replies_total", "Replies sent.", counter, number(s.replies));
  f.add("udpechod_reply_bytes_total", "Payload bytes of the replies sent, prefix included.",
        counter, number(s.reply_bytes));

  f.start("udpechod_dropped_total", "Datagrams not answered, by reason.", counter);
  const auto& d = s.dropped;
  const std::pair<const char*, std::uint64_t> reasons[] = {
      {"denied", d.denied},
      {"loop_low_port", d.loop_low_port},
      {"loop_own_port", d.loop_own_port},
      {"loop_group_source", d.loop_group_source},
      {"loop_group_destination", d.loop_group_destination},
      {"loop_prefix", d.loop_prefix},
      {"rate_limited", d.rate_limited},
      {"oversized", d.oversized},
  };
  for (const auto& [reason, value] : reasons) f.sample("reason", reason, number(value));

  f.start("udpechod_socket_errors_total", "Failed socket receive and send calls.", counter);
  f.sample("direction", "receive", number(s.receive_errors));
  f.sample("direction", "send", number(s.send_errors));

  f.add("udpechod_log_lines_suppressed_total",
        "Log lines about datagrams left out to keep the log bounded.", counter,
        number(s.log_lines_suppressed));
  f.add("udpechod_rate_limited_prefixes", "Source prefixes being rate-limited now.", gauge,
        number(s.rate_limited_prefixes));
  f.add("udpechod_rate_table_entries", "Source prefixes the rate limiter tracks now.", gauge,
        number(s.rate_table_entries));
  f.add("udpechod_rate_table_capacity", "Source prefixes the rate limiter can track at most.",
        gauge, number(s.rate_table_capacity));
  f.add("udpechod_peers_seen",
        "Distinct peers (address and port) seen since the start; a lower bound once the tally is "
        "full.",
        gauge, number(s.peers_seen));
  f.add("udpechod_workers", "Threads serving datagrams.", gauge, number(s.workers));

  f.start("udpechod_reloads_total", "Configuration reloads (SIGHUP), by result.", counter);
  f.sample("result", "ok", number(s.reloads_ok));
  f.sample("result", "failed", number(s.reloads_failed));

  f.add("udpechod_start_time_seconds", "When udpechod started, in seconds since the Unix epoch.",
        gauge, s.start_time_seconds);
  f.start("udpechod_build_info", "The udpechod version serving; the value is always 1.", gauge);
  f.sample("version", s.version.c_str(), 1);

  return prometheus::TextSerializer().Serialize(f.list());
}

}  // namespace udpecho
