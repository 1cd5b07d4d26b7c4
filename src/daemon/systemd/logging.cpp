#include "daemon/systemd/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "daemon/systemd/journal_sink.hpp"

namespace udpecho {
namespace {

// The "%*" pattern flag: journald's "<N>" priority prefix.
class priority_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    fmt::format_to(std::back_inserter(out), "<{}>", syslog_priority(message.level));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<priority_flag>();
  }
};

}  // namespace

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;  // LOG_DEBUG
    case spdlog::level::info:
      return 6;  // LOG_INFO
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    default:
      return 6;
  }
}

bool stderr_is_journal(std::string_view journal_stream) {
  if (journal_stream.empty()) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream == fmt::format("{}:{}", st.st_dev, st.st_ino);
}

std::optional<log_target> parse_log_target(std::string_view text) {
  if (text == "auto") return log_target::automatic;
  if (text == "journal") return log_target::journal;
  if (text == "stderr") return log_target::standard_error;
  return std::nullopt;
}

void setup_logging(spdlog::level::level_enum level, log_target target) {
  const char* journal_stream = std::getenv("JOURNAL_STREAM");
  const bool stderr_journal = stderr_is_journal(journal_stream ? journal_stream : "");
  spdlog::sink_ptr sink;
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (target == log_target::journal || (target == log_target::automatic && stderr_journal)) {
    // The journal stamps each record itself and keeps its fields; only the text goes as MESSAGE.
    formatter->set_pattern("%v");
    sink = std::make_shared<journal_sink>();
  } else if (stderr_journal) {
    // journald stamps each line itself; the prefix carries the priority.
    formatter->add_flag<priority_flag>('*').set_pattern("%*%v");
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else if (isatty(STDERR_FILENO)) {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-8l%$ %v");
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %-8l %v");
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  // Built by hand rather than through spdlog's registry, so that setting up twice is harmless.
  auto logger = std::make_shared<spdlog::logger>("udpechod", std::move(sink));
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace udpecho
