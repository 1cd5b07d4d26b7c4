#include <doctest/doctest.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../config_helpers.hpp"
#include "daemon/abuse/abuse_guard.hpp"
#include "daemon/echo_service.hpp"
#include "daemon/log_event.hpp"
#include "daemon/net/listeners.hpp"
#include "daemon/systemd/journal_sink.hpp"

using namespace udpecho;
using testing::abuse_settings_of;

namespace {

constexpr std::int64_t s = 1'000'000'000;
constexpr std::array<std::uint16_t, 1> own{5002};

using record = std::vector<std::string>;

// Keeps what the journal sink would send for each line, built by the same journal_record().
class capture_sink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  std::vector<record> records;

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    records.push_back(journal_record(
        message.level, std::string_view(message.payload.data(), message.payload.size()),
        current_log_event()));
  }
  void flush_() override {}
};

std::shared_ptr<capture_sink> capture(spdlog::level::level_enum level = spdlog::level::trace) {
  auto sink = std::make_shared<capture_sink>();
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  return sink;
}

// NAME -> value; a name sent twice fails the test.
std::map<std::string, std::string> fields_of(const record& r) {
  std::map<std::string, std::string> fields;
  for (const auto& entry : r) {
    const auto equals = entry.find('=');
    REQUIRE(equals != std::string::npos);
    const bool fresh = fields.emplace(entry.substr(0, equals), entry.substr(equals + 1)).second;
    CHECK_MESSAGE(fresh, "field sent twice: " << entry);
  }
  return fields;
}

std::set<std::string> names_of(const record& r) {
  std::set<std::string> names;
  for (const auto& [name, value] : fields_of(r)) names.insert(name);
  return names;
}

const std::set<std::string> always{"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"};

std::set<std::string> with_always(std::set<std::string> names) {
  names.insert(always.begin(), always.end());
  return names;
}

datagram from(const char* address, std::uint16_t port, std::string_view payload = "hi") {
  datagram d;
  d.peer = {asio::ip::make_address(address), port};
  d.payload = payload;
  return d;
}

// What echo_service hands the guard for a datagram: its facts, worked out once.
bool admit(abuse_guard& guard, const datagram& d, std::span<const std::uint16_t> own_ports,
           std::string_view reply_prefix, std::int64_t now) {
  auto facts = facts_of(d.peer, d.payload);
  if (d.destination) set_destination(facts, *d.destination, d.destination_is_broadcast);
  facts.reported_destination = &d.destination;
  return guard.admit(facts, own_ports, reply_prefix, now).answer;
}

}  // namespace

TEST_CASE("a plain line carries MESSAGE, PRIORITY and SYSLOG_IDENTIFIER only") {
  const auto r = journal_record(spdlog::level::warn, "hello", nullptr);
  CHECK(r == record{"MESSAGE=hello", "PRIORITY=4", "SYSLOG_IDENTIFIER=udpechod"});
}

TEST_CASE("every event kind but datagram has its own fixed MESSAGE_ID") {
  std::set<std::string_view> ids;
  for (auto kind : {event_kind::drop, event_kind::rate_limit_start, event_kind::rate_limit_stop,
                    event_kind::log_suppressed, event_kind::start, event_kind::ready,
                    event_kind::reload, event_kind::reload_failed, event_kind::stop}) {
    const auto id = message_id(kind);
    REQUIRE(id);
    CHECK(id->size() == 32);
    CHECK(id->find_first_not_of("0123456789abcdef") == std::string_view::npos);
    ids.insert(*id);
    const log_event event(kind);
    const auto fields = fields_of(journal_record(spdlog::level::info, "x", &event));
    CHECK(fields.at("MESSAGE_ID") == *id);
    CHECK(fields.at("UDPECHO_EVENT") == event_name(kind));
  }
  CHECK(ids.size() == 9);
  CHECK_FALSE(message_id(event_kind::datagram));
}

TEST_CASE("a datagram's fields: peer (mapped IPv4 as plain IPv4), local address and port, bytes") {
  const auto event = datagram_event({asio::ip::make_address("::ffff:127.0.0.1"), 40123},
                                    asio::ip::make_address("::ffff:127.0.0.2"), 5002, 5);
  const auto r =
      journal_record(spdlog::level::info, "127.0.0.1:40123 sent 5 bytes: \"hello\"", &event);
  CHECK(names_of(r) ==
        with_always({"UDPECHO_EVENT", "UDPECHO_PEER_ADDRESS", "UDPECHO_PEER_PORT",
                     "UDPECHO_LOCAL_ADDRESS", "UDPECHO_LOCAL_PORT", "UDPECHO_BYTES"}));
  const auto fields = fields_of(r);
  CHECK(fields.at("UDPECHO_EVENT") == "datagram");
  CHECK(fields.at("UDPECHO_PEER_ADDRESS") == "127.0.0.1");
  CHECK(fields.at("UDPECHO_PEER_PORT") == "40123");
  CHECK(fields.at("UDPECHO_LOCAL_ADDRESS") == "127.0.0.2");
  CHECK(fields.at("UDPECHO_LOCAL_PORT") == "5002");
  CHECK(fields.at("UDPECHO_BYTES") == "5");
  CHECK(fields.at("PRIORITY") == "6");
}

TEST_CASE("drops name their reason: denied and each loop rule") {
  auto sink = capture();
  abuse_guard guard(abuse_settings_of("deny = 192.0.2.66\n"), 1);
  CHECK_FALSE(admit(guard, from("192.0.2.66", 40000), own, "echo:", s));
  CHECK_FALSE(admit(guard, from("192.0.2.1", 19), own, "echo:", s));
  CHECK_FALSE(admit(guard, from("192.0.2.2", 5002), own, "echo:", s));
  CHECK_FALSE(admit(guard, from("224.0.0.1", 40000), own, "echo:", s));
  auto to_broadcast = from("192.0.2.3", 40000);
  to_broadcast.destination = asio::ip::make_address("192.0.2.255");
  to_broadcast.destination_is_broadcast = true;
  CHECK_FALSE(admit(guard, to_broadcast, own, "echo:", s));
  CHECK_FALSE(admit(guard, from("192.0.2.4", 40000, "echo:bounced"), own, "echo:", s));
  REQUIRE(sink->records.size() == 6);
  std::vector<std::string> reasons;
  for (const auto& r : sink->records) {
    const auto fields = fields_of(r);
    CHECK(fields.at("UDPECHO_EVENT") == "drop");
    reasons.push_back(fields.at("UDPECHO_DROP_REASON"));
    auto expected = with_always({"MESSAGE_ID", "UDPECHO_EVENT", "UDPECHO_DROP_REASON",
                                 "UDPECHO_PEER_ADDRESS", "UDPECHO_PEER_PORT"});
    if (fields.contains("UDPECHO_LOCAL_ADDRESS")) expected.insert("UDPECHO_LOCAL_ADDRESS");
    CHECK(names_of(r) == expected);
  }
  CHECK(reasons == std::vector<std::string>{"denied", "loop_low_port", "loop_own_port",
                                            "loop_group_source", "loop_group_destination",
                                            "loop_prefix"});
  CHECK(fields_of(sink->records[4]).at("UDPECHO_LOCAL_ADDRESS") == "192.0.2.255");
  CHECK(fields_of(sink->records[0]).at("UDPECHO_PEER_ADDRESS") == "192.0.2.66");
}

TEST_CASE("rate limiting: start and stop with UDPECHO_PREFIX, the stop with UDPECHO_DROPPED") {
  auto sink = capture();
  abuse_guard guard(abuse_settings_of("rate_limit = 1\nrate_burst = 1\n"), 3);
  CHECK(admit(guard, from("127.0.0.9", 40000), own, "echo:", s));
  for (int i = 0; i < 5; ++i) CHECK_FALSE(admit(guard, from("127.0.0.9", 40000), own, "echo:", s));
  guard.tick(60 * s);
  std::vector<std::map<std::string, std::string>> events;
  for (const auto& r : sink->records) {
    auto fields = fields_of(r);
    if (fields.at("UDPECHO_EVENT").starts_with("rate_limit_")) events.push_back(fields);
  }
  REQUIRE(events.size() == 2);
  CHECK(events[0].at("UDPECHO_EVENT") == "rate_limit_start");
  CHECK(events[0].at("UDPECHO_PREFIX") == "127.0.0.0/24");
  CHECK(events[0].at("PRIORITY") == "4");
  CHECK_FALSE(events[0].contains("UDPECHO_DROPPED"));
  CHECK(events[1].at("UDPECHO_EVENT") == "rate_limit_stop");
  CHECK(events[1].at("UDPECHO_PREFIX") == "127.0.0.0/24");
  CHECK(events[1].at("UDPECHO_DROPPED") == "5");
  // At debug, each rate-limited datagram is a drop with its reason.
  std::size_t limited = 0;
  for (const auto& r : sink->records) {
    const auto fields = fields_of(r);
    if (fields.at("UDPECHO_EVENT") == "drop" && fields.at("UDPECHO_DROP_REASON") == "rate_limited")
      ++limited;
  }
  CHECK(limited == 5);
}

TEST_CASE("suppression summaries carry UDPECHO_PREFIX and UDPECHO_SUPPRESSED") {
  auto sink = capture();
  abuse_guard guard(abuse_settings_of("deny = 192.0.2.0/24\n"), 4);
  for (int i = 0; i < 30; ++i) admit(guard, from("192.0.2.7", 40000), own, "echo:", s);
  guard.tick(20 * s);
  const auto& r = sink->records.back();
  CHECK(names_of(r) ==
        with_always({"MESSAGE_ID", "UDPECHO_EVENT", "UDPECHO_PREFIX", "UDPECHO_SUPPRESSED"}));
  const auto fields = fields_of(r);
  CHECK(fields.at("UDPECHO_EVENT") == "log_suppressed");
  CHECK(fields.at("UDPECHO_PREFIX") == "192.0.2.0/24");
  CHECK(fields.at("UDPECHO_SUPPRESSED") == "20");
  CHECK(fields.at("MESSAGE") == "20 log lines suppressed for 192.0.2.0/24");
}

TEST_CASE("the stop record has every counter of the stop summary as a field") {
  echo_figures totals;
  totals.traffic.datagrams = 7;
  totals.drops.loop[static_cast<std::size_t>(loop_rule::bounced_reply)] = 3;
  log_event event(event_kind::stop);
  totals.add_fields(event);
  const auto fields = fields_of(journal_record(spdlog::level::info, totals.format(), &event));
  for (const char* name :
       {"UDPECHO_DATAGRAMS", "UDPECHO_BYTES_RECEIVED", "UDPECHO_PEERS", "UDPECHO_REPLIES",
        "UDPECHO_BYTES_SENT", "UDPECHO_OVERSIZED_REPLIES", "UDPECHO_RECEIVE_ERRORS",
        "UDPECHO_SEND_ERRORS", "UDPECHO_DROPPED_DENIED", "UDPECHO_DROPPED_LOOP_LOW_PORT",
        "UDPECHO_DROPPED_LOOP_OWN_PORT", "UDPECHO_DROPPED_LOOP_GROUP_SOURCE",
        "UDPECHO_DROPPED_LOOP_GROUP_DESTINATION", "UDPECHO_DROPPED_LOOP_PREFIX",
        "UDPECHO_DROPPED_RATE_LIMITED", "UDPECHO_LOG_LINES_SUPPRESSED",
        "UDPECHO_RATE_TABLE_ENTRIES", "UDPECHO_RATE_TABLE_CAPACITY"}) {
    CHECK_MESSAGE(fields.contains(name), name);
  }
  CHECK(fields.at("UDPECHO_DATAGRAMS") == "7");
  CHECK(fields.at("UDPECHO_DROPPED_LOOP_PREFIX") == "3");
}

TEST_CASE("a hostile payload cannot add or change a field") {
  auto sink = capture(spdlog::level::info);
  asio::io_context io;
  echo_service service(std::make_shared<const echo_settings>(
      echo_settings{"echo:", 256, abuse_settings_of("loop_protection = no\n"), {}}));
  auto bound = open_bound_socket(io, {asio::ip::make_address("127.0.0.1"), 0}, false);
  const auto server = bound.local_endpoint();
  service.serve(io, std::make_unique<datagram_socket>(std::move(bound), false));
  // A newline that would start a field, a syslog priority prefix, an escape sequence and bytes
  // that are not UTF-8.
  const std::string hostile =
      "x\nUDPECHO_PEER_ADDRESS=192.0.2.99\nMESSAGE_ID=00000000000000000000000000000000\n<0>\x1b[2J"
      "\xff\xfe\xc3(\n";
  asio::ip::udp::socket client(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  client.send_to(asio::buffer(hostile), server);
  std::array<char, 512> reply{};
  bool answered = false;
  client.async_receive(asio::buffer(reply), [&](std::error_code error, std::size_t) {
    answered = !error;
    service.retire(nullptr, 0, false);
  });
  io.run_for(std::chrono::seconds(10));
  REQUIRE(answered);
  REQUIRE(sink->records.size() == 1);
  const auto& r = sink->records[0];
  CHECK(names_of(r) ==
        with_always({"UDPECHO_EVENT", "UDPECHO_PEER_ADDRESS", "UDPECHO_PEER_PORT",
                     "UDPECHO_LOCAL_ADDRESS", "UDPECHO_LOCAL_PORT", "UDPECHO_BYTES"}));
  const auto fields = fields_of(r);
  CHECK(fields.at("UDPECHO_PEER_ADDRESS") == "127.0.0.1");
  CHECK(fields.at("UDPECHO_PEER_PORT") == std::to_string(client.local_endpoint().port()));
  CHECK(fields.at("UDPECHO_BYTES") == std::to_string(hostile.size()));
  // No value holds a newline, an escape or a byte outside printable ASCII, so no value can be
  // read as another field or as a priority, in any of the protocol's forms.
  for (const auto& entry : r) {
    for (const char c : entry) {
      CHECK_MESSAGE((c >= 0x20 && c < 0x7f), entry);
    }
  }
  CHECK(fields.at("MESSAGE").find(R"(\nUDPECHO_PEER_ADDRESS=192.0.2.99\n)") != std::string::npos);
  CHECK(fields.at("MESSAGE").find(R"(<0>\x1b[2J\xff\xfe\xc3(\n)") != std::string::npos);
}
