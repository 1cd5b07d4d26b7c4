#include "daemon/metrics/http_request.hpp"

#include <algorithm>

namespace udpecho {
namespace {

constexpr std::string_view line_end = "\r\n";

// RFC 9110 tchar: the characters of a method or a header name.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// Bytes a request head may hold: visible ASCII, space, tab, and CR LF between lines.
bool allowed_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x20 && u < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

// A request-target in origin form: "/" and visible ASCII, no '#'.
bool is_origin_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  return std::all_of(target.begin(), target.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '#';
  });
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct request_line {
  std::string_view method;
  std::string_view target;
  std::string_view version;
};

// "METHOD SP TARGET SP HTTP/1.x", single spaces.
bool parse_request_line(std::string_view line, request_line& out) {
  const auto first = line.find(' ');
  if (first == std::string_view::npos) return false;
  const auto second = line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return false;
  }
  out.method = line.substr(0, first);
  out.target = line.substr(first + 1, second - first - 1);
  out.version = line.substr(second + 1);
  return is_token(out.method) && is_origin_target(out.target) &&
         (out.version == "HTTP/1.1" || out.version == "HTTP/1.0");
}

}  // namespace

request_verdict judge_request(std::string_view received) {
  const auto head_end = received.find("\r\n\r\n");
  const auto head =
      head_end == std::string_view::npos ? received : received.substr(0, head_end + 2);
  if (head.size() > max_request_head_bytes) return request_verdict::bad_request;
  if (!std::all_of(head.begin(), head.end(), allowed_byte)) return request_verdict::bad_request;

  const auto first_end = head.find(line_end);
  request_line request;
  if (first_end == std::string_view::npos) {
    // No whole line yet: refuse early what can no longer become "GET /...".
    const std::string_view get_prefix = "GET /";
    const auto common = std::min(head.size(), get_prefix.size());
    if (head.substr(0, common) != get_prefix.substr(0, common)) return request_verdict::bad_request;
    if (head.find('\n') != std::string_view::npos) return request_verdict::bad_request;
    return request_verdict::incomplete;
  }
  if (!parse_request_line(head.substr(0, first_end), request) || request.method != "GET") {
    return request_verdict::bad_request;
  }

  // Header lines, each "name: value" ending in CR LF; no folding, no body.
  bool host_seen = false;
  std::size_t start = first_end + line_end.size();
  while (start < head.size()) {
    const auto end = head.find(line_end, start);
    if (end == std::string_view::npos) {
      // A partial last line: it may only be refused for what it already shows.
      const auto partial = head.substr(start);
      if (partial.find('\n') != std::string_view::npos) return request_verdict::bad_request;
      if (partial.front() == ' ' || partial.front() == '\t') return request_verdict::bad_request;
      return request_verdict::incomplete;
    }
    const auto line = head.substr(start, end - start);
    start = end + line_end.size();
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return request_verdict::bad_request;
    }
    const auto name = line.substr(0, colon);
    const auto value = trim_spaces(line.substr(colon + 1));
    if (value.find('\r') != std::string_view::npos || value.find('\n') != std::string_view::npos) {
      return request_verdict::bad_request;
    }
    if (equal_ignoring_case(name, "Host")) {
      if (host_seen) return request_verdict::bad_request;
      host_seen = true;
    }
    if (equal_ignoring_case(name, "Transfer-Encoding")) return request_verdict::bad_request;
    if (equal_ignoring_case(name, "Content-Length") && value != "0") {
      return request_verdict::bad_request;
    }
  }
  if (head_end == std::string_view::npos) return request_verdict::incomplete;
  // HTTP/1.1 requires exactly one Host header (RFC 9112, section 3.2).
  if (request.version == "HTTP/1.1" && !host_seen) return request_verdict::bad_request;

  const auto path = request.target.substr(0, request.target.find('?'));
  return path == "/metrics" ? request_verdict::metrics : request_verdict::not_found;
}

}  // namespace udpecho
