#include <doctest/doctest.h>

#include <string>

#include "daemon/metrics/http_request.hpp"

using namespace udpecho;

namespace {
constexpr auto metrics = request_verdict::metrics;
constexpr auto not_found = request_verdict::not_found;
constexpr auto bad = request_verdict::bad_request;
constexpr auto more = request_verdict::incomplete;
}  // namespace

TEST_CASE("GET /metrics as Prometheus and curl send it") {
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9525\r\nUser-Agent: "
                      "Prometheus/2.42.0\r\nAccept: text/plain;version=0.0.4\r\n"
                      "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 1\r\n\r\n") ==
        metrics);
  CHECK(judge_request("GET /metrics HTTP/1.0\r\n\r\n") == metrics);
  CHECK(judge_request("GET /metrics?name[]=x HTTP/1.1\r\nhost: a\r\nContent-Length: 0\r\n\r\n") ==
        metrics);
}

TEST_CASE("another path is a 404, once the request is whole and well-formed") {
  CHECK(judge_request("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == not_found);
  CHECK(judge_request("GET /metricsx HTTP/1.1\r\nHost: a\r\n\r\n") == not_found);
  CHECK(judge_request("GET /metrics/ HTTP/1.1\r\nHost: a\r\n\r\n") == not_found);
  CHECK(judge_request("GET /x HTTP/1.1\r\nHost: a\r\n") == more);
}

TEST_CASE("a request arriving a byte at a time is judged only when whole") {
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
  for (std::size_t i = 1; i < request.size(); ++i) {
    CAPTURE(i);
    CHECK(judge_request(request.substr(0, i)) == more);
  }
  CHECK(judge_request(request) == metrics);
}

TEST_CASE("anything but a GET is refused as soon as it shows") {
  CHECK(judge_request("P") == bad);
  CHECK(judge_request("POST /metrics HTTP/1.1\r\nHost: a\r\n\r\n") == bad);
  CHECK(judge_request("HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n") == bad);
  CHECK(judge_request("get /metrics HTTP/1.1\r\nHost: a\r\n\r\n") == bad);
  CHECK(judge_request("GETX") == bad);
  CHECK(judge_request("\x16\x03\x01") == bad);  // a TLS client hello
}

TEST_CASE("a malformed request line or header is a 400") {
  CHECK(judge_request("GET /metrics\r\n\r\n") == bad);  // HTTP/0.9
  CHECK(judge_request("GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n") == bad);
  CHECK(judge_request("GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n") == bad);
  CHECK(judge_request("GET http://a/metrics HTTP/1.1\r\nHost: a\r\n\r\n") == bad);
  CHECK(judge_request("GET /metrics HTTP/1.1\r\n\r\n") == bad);  // no Host
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == bad);
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n") == bad);
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n") == bad);
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n") == bad);
  CHECK(judge_request("GET /metrics HTTP/1.1\nHost: a\n\n") == bad);  // bare LF
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\rb\r\n\r\n") == bad);
  CHECK(judge_request(std::string("GET /metrics HTTP/1.1\r\nHost: a\0\r\n\r\n", 33)) == bad);
  CHECK(judge_request("GET /m\xc3\xa9trics HTTP/1.1\r\nHost: a\r\n\r\n") == bad);
}

TEST_CASE("a GET with a body is refused") {
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello") == bad);
  CHECK(judge_request("GET /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") ==
        bad);
}

TEST_CASE("a head over the limit is refused, even before its end arrives") {
  const std::string long_line = "GET /" + std::string(max_request_head_bytes, 'a');
  CHECK(judge_request(long_line) == bad);
  CHECK(judge_request(long_line.substr(0, max_request_head_bytes)) == more);
  std::string many_headers = "GET /metrics HTTP/1.1\r\nHost: a\r\n";
  while (many_headers.size() <= max_request_head_bytes) many_headers += "X-Filler: 0123456789\r\n";
  CHECK(judge_request(many_headers) == bad);
  CHECK(judge_request(many_headers + "\r\n") == bad);
}
