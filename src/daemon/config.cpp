#include "daemon/config.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

#include "common/endpoint.hpp"
#include "common/escape.hpp"
#include "common/text.hpp"

namespace udpecho {
namespace {

constexpr std::size_t max_reply_prefix_bytes = 1024;
// Longer than any key by far; a longer word is no typo, and comparing it would cost its length
// times every key's.
constexpr std::size_t max_suggested_key_bytes = 64;

std::optional<std::size_t> parse_size(std::string_view text, std::size_t max, std::string& reason) {
  auto value = parse_number<std::size_t>(text, 0, max);
  if (!value) reason = fmt::format("{} is not a whole number from 0 to {}", quoted(text), max);
  return value;
}

// A setter for a whole-number key with the range `low`..`high`.
template <class Member>
auto number_key(Member daemon_config::*member, std::size_t low, std::size_t high) {
  return [member, low, high](daemon_config& c, std::string_view v, std::string& why) {
    auto size = parse_size(v, high, why);
    if (size && *size < low) {
      why = fmt::format("{} is not a whole number from {} to {}", quoted(v), low, high);
      size.reset();
    }
    if (size) c.*member = static_cast<Member>(*size);
    return size.has_value();
  };
}

auto prefix_list_key(std::vector<ip_prefix> daemon_config::*member) {
  return [member](daemon_config& c, std::string_view v, std::string& why) {
    auto list = parse_prefix_list(v, why);
    if (list) c.*member = std::move(*list);
    return list.has_value();
  };
}

using key_setter = std::function<bool(daemon_config&, std::string_view, std::string&)>;

struct key_entry {
  std::string_view name;
  key_setter set;
};

const std::vector<key_entry>& key_table() {
  static const std::vector<key_entry> table{
      {"bind",
       [](daemon_config& c, std::string_view v, std::string& why) {
         auto list = parse_bind_list(v, why);
         if (list) c.bind = std::move(*list);
         return list.has_value();
       }},
      {"port",
       [](daemon_config& c, std::string_view v, std::string& why) {
         auto port = parse_port_value(v, why);
         if (port) c.port = *port;
         return port.has_value();
       }},
      {"reply_prefix",
       [](daemon_config& c, std::string_view v, std::string& why) {
         if (v.size() > max_reply_prefix_bytes) {
           why = fmt::format("is {} bytes long; at most {} are allowed", v.size(),
                             max_reply_prefix_bytes);
           return false;
         }
         c.reply_prefix = std::string(v);
         return true;
       }},
      {"log_level",
       [](daemon_config& c, std::string_view v, std::string& why) {
         auto level = parse_log_level(v, why);
         if (level) c.log_level = *level;
         return level.has_value();
       }},
      {"log_payload_bytes",
       [](daemon_config& c, std::string_view v, std::string& why) {
         auto size = parse_size(v, 65535, why);
         if (size) c.log_payload_bytes = *size;
         return size.has_value();
       }},
      {"log_escape",
       [](daemon_config& c, std::string_view v, std::string& why) {
         if (v != "utf8" && v != "ascii") why = fmt::format("{} is not utf8 or ascii", quoted(v));
         if (v == "utf8" || v == "ascii") {
           c.log_escape = v == "utf8" ? escape_mode::utf8 : escape_mode::ascii;
         }
         return v == "utf8" || v == "ascii";
       }},
      {"loop_protection",
       [](daemon_config& c, std::string_view v, std::string& why) {
         if (v != "yes" && v != "no") why = fmt::format("{} is not yes or no", quoted(v));
         if (v == "yes" || v == "no") c.loop_protection = v == "yes";
         return v == "yes" || v == "no";
       }},
      {"rate_limit", number_key(&daemon_config::rate_limit, 0, 10'000'000)},
      {"rate_burst", number_key(&daemon_config::rate_burst, 1, 10'000'000)},
      {"rate_prefix_v4", number_key(&daemon_config::rate_prefix_v4, 0, 32)},
      {"rate_prefix_v6", number_key(&daemon_config::rate_prefix_v6, 0, 128)},
      {"rate_table_size", number_key(&daemon_config::rate_table_size, 1, 1'048'576)},
      {"rate_exempt", prefix_list_key(&daemon_config::rate_exempt)},
      {"allow", prefix_list_key(&daemon_config::allow)},
      {"deny", prefix_list_key(&daemon_config::deny)},
      {"workers",
       [](daemon_config& c, std::string_view v, std::string& why) {
         if (v == "auto") {
           c.workers = 0;
           return true;
         }
         auto count = parse_size(v, max_workers, why);
         if (!count || *count == 0) {
           why = fmt::format("{} is not 'auto' or a number from 1 to {}", quoted(v), max_workers);
           return false;
         }
         c.workers = *count;
         return true;
       }},
      {"metrics_listen",
       [](daemon_config& c, std::string_view v, std::string& why) {
         if (v.empty()) {
           c.metrics_listen.reset();
           return true;
         }
         auto where = parse_listen_address(v, why);
         if (where) c.metrics_listen = *where;
         return where.has_value();
       }},
  };
  return table;
}

// Levenshtein distance, to suggest the key a typo was meant to be.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view key) {
  std::string message = fmt::format("unknown key {}", quoted(key));
  if (key.size() > max_suggested_key_bytes) return message;
  std::string_view best;
  std::size_t best_distance = 3;  // further than this is no longer a typo
  for (const auto& entry : key_table()) {
    // The distance is at least the difference in length: no need to compute it then.
    const auto longer = std::max(key.size(), entry.name.size());
    if (longer - std::min(key.size(), entry.name.size()) >= best_distance) continue;
    const auto distance = edit_distance(key, entry.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = entry.name;
    }
  }
  if (!best.empty()) message += fmt::format(" (did you mean '{}'?)", best);
  return message;
}

// Splits "value   # comment" and removes double quotes. A '#' starts a comment only at the start
// of the value or after white space, so "a#b" stays a value; inside quotes it is always data.
std::optional<std::string> unquote_value(std::string_view raw, std::string& reason) {
  raw = trim(raw);
  if (raw.empty() || raw.front() != '"') {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '#' && (i == 0 || raw[i - 1] == ' ' || raw[i - 1] == '\t')) {
        raw = trim(raw.substr(0, i));
        break;
      }
    }
    if (raw.find('"') != std::string_view::npos) {
      reason = fmt::format("{} has a stray '\"'; quote the whole value", quoted(raw));
      return std::nullopt;
    }
    return std::string(raw);
  }
  std::string value;
  std::size_t i = 1;
  for (; i < raw.size() && raw[i] != '"'; ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
    value += raw[i];
  }
  if (i >= raw.size()) {
    reason = "has an opening '\"' but no closing one";
    return std::nullopt;
  }
  const auto rest = trim(raw.substr(i + 1));
  if (!rest.empty() && rest.front() != '#') {
    reason = fmt::format("unexpected {} after the closing '\"'", quoted(rest));
    return std::nullopt;
  }
  return value;
}

// Control bytes (other than the tab, which is white space) have no meaning in any value, and a
// NUL would cut it short where the value reaches a C interface.
bool has_control_character(std::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7f;
  });
}

bool is_key_name(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Gives a link-local address the interface its zone id names ("fe80::1%eth0" or "%2"), so that
// what --check-config accepts is what binds at start: an interface that does not exist is refused
// here, not left as scope 0 for bind() to reject with EINVAL.
bool set_zone(asio::ip::address& address, std::string_view zone, std::string& reason) {
  if (!address.is_v6() || !address.to_v6().is_link_local()) {
    reason = "a zone id (%interface) only applies to a link-local IPv6 address (fe80::/10)";
    return false;
  }
  unsigned index = 0;
  if (const auto number = parse_number(zone, 0u, std::numeric_limits<unsigned>::max())) {
    char name[IF_NAMESIZE] = {};
    index = ::if_indextoname(*number, name) != nullptr ? *number : 0;
  } else {
    index = zone.size() < IF_NAMESIZE ? ::if_nametoindex(std::string(zone).c_str()) : 0;
  }
  if (index == 0) {
    reason = fmt::format("no network interface {}", quoted(zone));
    return false;
  }
  auto v6 = address.to_v6();
  v6.scope_id(index);
  address = v6;
  return true;
}

}  // namespace

std::optional<std::vector<asio::ip::address>> parse_bind_list(std::string_view text,
                                                              std::string& reason) {
  std::vector<asio::ip::address> list;
  for (const auto item : split_list(text)) {
    auto address = parse_ip_literal(item);
    if (!address) {
      reason = item.empty() ? fmt::format("{} has an empty address", quoted(text))
                            : fmt::format("{} is not an IPv4 or IPv6 address", quoted(item));
      return std::nullopt;
    }
    if (const auto percent = item.find('%'); percent != std::string_view::npos) {
      auto zone = item.substr(percent + 1);
      if (zone.ends_with(']')) zone.remove_suffix(1);
      if (!set_zone(*address, zone, reason)) {
        reason = fmt::format("{}: {}", quoted(item), reason);
        return std::nullopt;
      }
    }
    if (std::find(list.begin(), list.end(), *address) != list.end()) {
      reason = fmt::format("{} is listed twice", quoted(item));
      return std::nullopt;
    }
    list.push_back(*address);
  }
  return list;
}

std::optional<std::uint16_t> parse_port_value(std::string_view text, std::string& reason) {
  auto port = parse_port(text);
  if (!port) reason = fmt::format("{} is not a port (0-65535)", quoted(text));
  return port;
}

std::optional<listen_address> parse_listen_address(std::string_view text, std::string& reason) {
  const auto colon = text.rfind(':');
  const auto host = colon == std::string_view::npos ? text : text.substr(0, colon);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (colon == std::string_view::npos || (!bracketed && host.find(':') != std::string_view::npos)) {
    reason = fmt::format("{} is not ADDRESS:PORT (an IPv6 address goes in brackets: [::1]:9525)",
                         quoted(text));
    return std::nullopt;
  }
  auto address = parse_ip_literal(host);
  if (!address) {
    reason = fmt::format("{} is not an IPv4 or IPv6 address", quoted(host));
    return std::nullopt;
  }
  auto port = parse_port_value(text.substr(colon + 1), reason);
  if (!port) return std::nullopt;
  return listen_address{*address, *port};
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text,
                                                         std::string& reason) {
  static constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 7> levels{{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warning", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  }};
  for (const auto& [name, level] : levels) {
    if (name == text) return level;
  }
  reason = fmt::format(
      "{} is not a log level (trace, debug, info, warning, error, critical or off)", quoted(text));
  return std::nullopt;
}

std::vector<std::string_view> config_keys() {
  std::vector<std::string_view> names;
  for (const auto& entry : key_table()) names.push_back(entry.name);
  return names;
}

config_result parse_config(std::string_view text, std::string_view file_name) {
  config_result result;
  std::map<std::string, int, std::less<>> first_line_of_key;
  int line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto raw_line = text.substr(start, end - start);
    const auto line = trim(raw_line);
    start = end + 1;
    ++line_number;
    // Counts an error on this line. `what` builds its text, and is called only for the errors
    // shown: a hostile file may hold millions, and the unknown-key suggestion costs the key's
    // length times every key's.
    auto fail = [&](auto what) {
      ++result.error_count;
      if (result.errors.size() < max_shown_errors) {
        result.errors.push_back(fmt::format("{}:{}: {}", file_name, line_number, what()));
      }
    };

    if (raw_line.size() > max_line_bytes) {
      fail([&] { return fmt::format("line is longer than {} bytes", max_line_bytes); });
      continue;
    }
    if (line.empty() || line.front() == '#') continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      fail([&] { return fmt::format("expected 'key = value', got {}", quoted(line)); });
      continue;
    }
    const auto key = trim(line.substr(0, equals));
    if (!is_key_name(key)) {
      fail([&] { return fmt::format("{} is not a key name", quoted(key)); });
      continue;
    }
    auto entry = std::find_if(key_table().begin(), key_table().end(),
                              [&](const key_entry& e) { return e.name == key; });
    if (entry == key_table().end()) {
      fail([&] { return unknown_key_message(key); });
      continue;
    }
    if (auto seen = first_line_of_key.find(key); seen != first_line_of_key.end()) {
      fail([&] { return fmt::format("{}: set twice (first on line {})", key, seen->second); });
      continue;
    }
    first_line_of_key.emplace(std::string(key), line_number);
    std::string reason;
    auto value = unquote_value(line.substr(equals + 1), reason);
    if (value && has_control_character(*value)) {
      fail([&] { return fmt::format("{}: control character in value", key); });
      continue;
    }
    if (!value || !entry->set(result.config, *value, reason)) {
      fail([&] { return fmt::format("{}: {}", key, reason); });
    }
  }
  if (result.error_count > result.errors.size()) {
    result.errors.push_back(
        fmt::format("... and {} more errors", result.error_count - result.errors.size()));
  }
  return result;
}

config_result load_config_file(const std::string& path) {
  auto fail = [&](std::string_view what) {
    config_result result;
    result.errors.push_back(fmt::format("{}: {}", escape_bytes(path, 200), what));
    result.error_count = 1;
    return result;
  };
  auto fail_os = [&](std::string_view what) {
    const int error = errno;  // before anything else can change it
    return fail(fmt::format("{}: {}", what, std::strerror(error)));
  };
  const auto too_large = [] { return fmt::format("larger than {} MiB", max_config_bytes >> 20); };
  // O_NONBLOCK: a FIFO with no writer must not hold up a reload.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail_os("cannot open");
  const struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } owned{fd};
  struct stat status {};
  if (::fstat(fd, &status) == 0 && status.st_size > static_cast<off_t>(max_config_bytes)) {
    return fail(too_large());
  }
  // Devices such as /dev/zero say their size is 0, so the read is capped whatever stat said.
  std::string contents;
  char chunk[16384];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail_os("cannot read");
    if (got == 0) break;
    contents.append(chunk, static_cast<std::size_t>(got));
    if (contents.size() > max_config_bytes) return fail(too_large());
  }
  return parse_config(contents, escape_bytes(path, 200));
}

}  // namespace udpecho
