#include <doctest/doctest.h>

#include <string>

#include <prometheus/text_serializer.h>

#include "daemon/metrics/exposition.hpp"

using namespace udpecho;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}
}  // namespace

TEST_CASE("every family of the issue, with its type and the snapshot's figures") {
  metrics_snapshot s;
  s.datagrams_received = 1000;
  s.received_bytes = 12345;
  s.replies = 900;
  s.reply_bytes = 23456;
  s.dropped = {1, 2, 3, 4, 5, 6, 70, 8};
  s.receive_errors = 9;
  s.send_errors = 10;
  s.log_lines_suppressed = 11;
  s.rate_limited_prefixes = 12;
  s.rate_table_entries = 13;
  s.rate_table_capacity = 65536;
  s.peers_seen = 14;
  s.workers = 2;
  s.reloads_ok = 3;
  s.reloads_failed = 1;
  s.start_time_seconds = 1700000000.5;
  s.version = "0.1.0";
  const auto text = render_exposition(s);
  CAPTURE(text);
  CHECK(has_line(text, "# TYPE udpechod_datagrams_received_total counter"));
  CHECK(has_line(text, "udpechod_datagrams_received_total 1000"));
  CHECK(has_line(text, "udpechod_received_bytes_total 12345"));
  CHECK(has_line(text, "udpechod_replies_total 900"));
  CHECK(has_line(text, "udpechod_reply_bytes_total 23456"));
  CHECK(has_line(text, "# TYPE udpechod_dropped_total counter"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"denied\"} 1"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"loop_low_port\"} 2"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"loop_own_port\"} 3"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"loop_group_source\"} 4"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"loop_group_destination\"} 5"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"loop_prefix\"} 6"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"rate_limited\"} 70"));
  CHECK(has_line(text, "udpechod_dropped_total{reason=\"oversized\"} 8"));
  CHECK(has_line(text, "udpechod_socket_errors_total{direction=\"receive\"} 9"));
  CHECK(has_line(text, "udpechod_socket_errors_total{direction=\"send\"} 10"));
  CHECK(has_line(text, "udpechod_log_lines_suppressed_total 11"));
  CHECK(has_line(text, "# TYPE udpechod_rate_limited_prefixes gauge"));
  CHECK(has_line(text, "udpechod_rate_limited_prefixes 12"));
  CHECK(has_line(text, "udpechod_rate_table_entries 13"));
  CHECK(has_line(text, "udpechod_rate_table_capacity 65536"));
  CHECK(has_line(text, "udpechod_peers_seen 14"));
  CHECK(has_line(text, "udpechod_workers 2"));
  CHECK(has_line(text, "udpechod_reloads_total{result=\"ok\"} 3"));
  CHECK(has_line(text, "udpechod_reloads_total{result=\"failed\"} 1"));
  CHECK(has_line(text, "udpechod_start_time_seconds 1700000000.5"));
  CHECK(has_line(text, "udpechod_build_info{version=\"0.1.0\"} 1"));
}

TEST_CASE("a counter past 2^32 is printed whole") {
  metrics_snapshot s;
  s.datagrams_received = 5'000'000'000;
  CHECK(has_line(render_exposition(s), "udpechod_datagrams_received_total 5000000000"));
}

TEST_CASE("the text is byte for byte what prometheus-cpp's TextSerializer writes for the model") {
  metrics_snapshot s;
  s.version = "0.1.0";
  const auto same = [](const metrics_snapshot& snapshot) {
    return render_exposition(snapshot) ==
           prometheus::TextSerializer().Serialize(metric_families(snapshot));
  };
  CHECK(same(s));
  s.datagrams_received = 999'999'999'999'999;  // the last whole number written as an integer
  s.received_bytes = 1'000'000'000'000'000;
  s.reply_bytes = 18'446'744'073'709'551'615u;
  s.replies = 9'007'199'254'740'993;  // over 2^53: rounded as a double
  s.dropped.rate_limited = 123'456'789;
  s.start_time_seconds = 1796215447.490138;
  s.peers_seen = 1;
  CHECK(same(s));
  s.start_time_seconds = 0.1;
  s.version = "1.0 \"odd\\build\"\nline";  // escaping of a label value
  CHECK(same(s));
  CHECK(render_exposition(s) ==
        prometheus::TextSerializer().Serialize(metric_families(s)));  // shown on failure
}

TEST_CASE("exposition_writer writes what render_exposition writes, scrape after scrape") {
  exposition_writer writer;
  metrics_snapshot s;
  s.version = "0.1.0";
  CHECK(writer.render(s) == render_exposition(s));
  s.datagrams_received = 17;
  s.dropped.denied = 3;
  s.start_time_seconds = 1796215447.490138;
  CHECK(writer.render(s) == render_exposition(s));
  s.version = "0.2.0";  // a new label value: the kept text is made again
  CHECK(writer.render(s) == render_exposition(s));
  s.reloads_failed = 1'000'000'000'000'001;
  CHECK(writer.render(s) == render_exposition(s));
}
