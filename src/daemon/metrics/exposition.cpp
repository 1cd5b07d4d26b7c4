#include "daemon/metrics/exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>

#include "daemon/abuse/drop_reasons.hpp"

namespace udpecho {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Calls sink.family(name, help, type) for each family, then sink.sample(label, value, number)
// for each of its series (label null when it has none): the one description of the exposition.
template <class Sink>
void describe(const metrics_snapshot& s, Sink& sink) {
  const auto counter = MetricType::Counter;
  const auto gauge = MetricType::Gauge;
  const auto one = [&sink](const char* name, const char* help, MetricType type, double value) {
    sink.family(name, help, type);
    sink.sample(nullptr, {}, value);
  };
  const auto number = [](std::uint64_t value) { return static_cast<double>(value); };

  one("udpechod_datagrams_received_total", "Datagrams received, answered or not.", counter,
      number(s.datagrams_received));
  one("udpechod_received_bytes_total", "Payload bytes of the datagrams received.", counter,
      number(s.received_bytes));
  one("udpechod_replies_total", "Replies sent.", counter, number(s.replies));
  one("udpechod_reply_bytes_total", "Payload bytes of the replies sent, prefix included.", counter,
      number(s.reply_bytes));

  sink.family("udpechod_dropped_total", "Datagrams not answered, by reason.", counter);
  const auto& d = s.dropped;
  const std::pair<std::string_view, std::uint64_t> reasons[] = {
      {drop_reasons::denied, d.denied},
      {drop_reasons::loop_low_port, d.loop_low_port},
      {drop_reasons::loop_own_port, d.loop_own_port},
      {drop_reasons::loop_group_source, d.loop_group_source},
      {drop_reasons::loop_group_destination, d.loop_group_destination},
      {drop_reasons::loop_prefix, d.loop_prefix},
      {drop_reasons::rate_limited, d.rate_limited},
      {drop_reasons::oversized, d.oversized},
  };
  for (const auto& [reason, value] : reasons) sink.sample("reason", reason, number(value));

  sink.family("udpechod_socket_errors_total", "Failed socket receive and send calls.", counter);
  sink.sample("direction", "receive", number(s.receive_errors));
  sink.sample("direction", "send", number(s.send_errors));

  one("udpechod_log_lines_suppressed_total",
      "Log lines about datagrams left out to keep the log bounded.", counter,
      number(s.log_lines_suppressed));
  one("udpechod_rate_limited_prefixes", "Source prefixes being rate-limited now.", gauge,
      number(s.rate_limited_prefixes));
  one("udpechod_rate_table_entries", "Source prefixes the rate limiter tracks now.", gauge,
      number(s.rate_table_entries));
  one("udpechod_rate_table_capacity", "Source prefixes the rate limiter can track at most.", gauge,
      number(s.rate_table_capacity));
  one("udpechod_peers_seen",
      "Distinct peers (address and port) seen since the start; a lower bound once the tally is "
      "full.",
      gauge, number(s.peers_seen));
  one("udpechod_workers", "Threads serving datagrams.", gauge, number(s.workers));

  sink.family("udpechod_reloads_total", "Configuration reloads (SIGHUP), by result.", counter);
  sink.sample("result", "ok", number(s.reloads_ok));
  sink.sample("result", "failed", number(s.reloads_failed));

  one("udpechod_start_time_seconds", "When udpechod started, in seconds since the Unix epoch.",
      gauge, s.start_time_seconds);
  sink.family("udpechod_build_info", "The udpechod version serving; the value is always 1.", gauge);
  sink.sample("version", s.version, 1);
}

class model_builder {
 public:
  void family(const char* name, const char* help, MetricType type) {
    list.push_back(MetricFamily{name, help, type, {}});
  }
  void sample(const char* label, std::string_view label_value, double value) {
    ClientMetric metric;
    if (label != nullptr) metric.label.push_back({label, std::string(label_value)});
    if (list.back().type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    list.back().metric.push_back(std::move(metric));
  }
  std::vector<MetricFamily> list;
};

// TextSerializer's rules: "# HELP", "# TYPE", then "name{label="value"} number", with \\ and
// newline escaped in help texts, and " too in label values; numbers as printf's %.16g.
void append_number(fmt::memory_buffer& out, double value) {
  // Whole numbers below 10^15 print the same as %.16g, without its cost.
  if (value >= 0 && value < 1e15 && std::floor(value) == value) {
    const fmt::format_int digits(static_cast<std::uint64_t>(value));
    out.append(digits.data(), digits.data() + digits.size());
  } else {
    fmt::format_to(std::back_inserter(out), "{:.16g}", value);
  }
}

class text_writer {
 public:
  /// With `cuts`, the text before each number is moved there instead of the number written.
  explicit text_writer(std::vector<std::string>* cuts = nullptr) : cuts_(cuts) {}

  void family(std::string_view name, std::string_view help, MetricType type) {
    name_ = name;
    append("# HELP ");
    append(name);
    append(" ");
    append_escaped(help, false);
    append("\n# TYPE ");
    append(name);
    append(type == MetricType::Counter ? " counter\n" : " gauge\n");
  }
  void sample(const char* label, std::string_view label_value, double value) {
    append(name_);
    if (label != nullptr) {
      append("{");
      append(label);
      append("=\"");
      append_escaped(label_value, true);
      append("\"}");
    }
    append(" ");
    if (cuts_ != nullptr) {
      cuts_->emplace_back(out.data(), out.size());
      out.clear();
    } else {
      append_number(out, value);
    }
    append("\n");
  }
  fmt::memory_buffer out;

 private:
  void append(std::string_view text) { out.append(text.data(), text.data() + text.size()); }
  void append_escaped(std::string_view text, bool quotes) {
    std::size_t run = 0;  // start of the bytes not yet appended
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c != '\\' && c != '\n' && (!quotes || c != '"')) continue;
      append(text.substr(run, i - run));
      append(c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\");
      run = i + 1;
    }
    append(text.substr(run));
  }
  std::string_view name_;
  std::vector<std::string>* cuts_;
};

struct value_list {
  void family(std::string_view, std::string_view, MetricType) {}
  void sample(const char*, std::string_view, double value) { values.push_back(value); }
  std::vector<double> values;
};

}  // namespace

std::vector<MetricFamily> metric_families(const metrics_snapshot& snapshot) {
  model_builder builder;
  describe(snapshot, builder);
  return std::move(builder.list);
}

std::string render_exposition(const metrics_snapshot& snapshot) {
  text_writer writer;
  describe(snapshot, writer);
  return fmt::to_string(writer.out);
}

}  // namespace udpecho

namespace udpecho {

std::string exposition_writer::render(const metrics_snapshot& snapshot) {
  if (pieces_.empty() || snapshot.version != version_) {
    pieces_.clear();
    text_writer cutter(&pieces_);
    describe(snapshot, cutter);
    pieces_.push_back(fmt::to_string(cutter.out));
    version_ = snapshot.version;
  }
  value_list numbers;
  numbers.values.reserve(pieces_.size());
  describe(snapshot, numbers);
  fmt::memory_buffer out;
  for (std::size_t i = 0; i < numbers.values.size(); ++i) {
    out.append(pieces_[i].data(), pieces_[i].data() + pieces_[i].size());
    append_number(out, numbers.values[i]);
  }
  out.append(pieces_.back().data(), pieces_.back().data() + pieces_.back().size());
  return fmt::to_string(out);
}

}  // namespace udpecho
