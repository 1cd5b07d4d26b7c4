// Judging the request on a metrics connection: plain code over the bytes received so far, no I/O.
//
// The endpoint answers one request per connection and then closes it, so only the request head
// matters. It is held to a size limit and to a strict reading of HTTP/1.1's grammar: anything
// that is not a well-formed GET (no body) is refused, since a scraper sends nothing else.
#pragma once

#include <cstddef>
#include <string_view>

namespace udpecho {

/// The most bytes a request head (request line and headers) may have; Prometheus sends ~300.
inline constexpr std::size_t max_request_head_bytes = 8192;

enum class request_verdict {
  incomplete,   // well-formed so far; read more
  metrics,      // GET /metrics (a query string is ignored)
  not_found,    // a well-formed GET of another path: 404
  bad_request,  // anything else, or a head over max_request_head_bytes: 400 and close
};

/// Judges the bytes a connection has sent so far. Decides as early as the bytes allow: a
/// malformed request line or a forbidden byte is refused before the head is complete.
request_verdict judge_request(std::string_view received);

}  // namespace udpecho
