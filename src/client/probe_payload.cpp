#include "client/probe_payload.hpp"

#include <fmt/format.h>
#include <charconv>
#include <random>

namespace udpecho {

namespace {
std::string probe_head(std::string_view run_tag) {
  return fmt::format("udpecho probe {} #", run_tag);
}
}  // namespace

std::string make_probe_payload(std::string_view run_tag, std::uint64_t sequence, std::size_t size) {
  std::string payload = fmt::format("{}{} ", probe_head(run_tag), sequence);
  if (payload.size() < size) payload.append(size - payload.size(), '.');
  return payload;
}

std::optional<std::uint64_t> probe_sequence(std::string_view reply, std::string_view run_tag,
                                            std::size_t size) {
  if (reply.size() < size) return std::nullopt;
  const std::string_view payload = reply.substr(reply.size() - size);
  const std::string head = probe_head(run_tag);
  if (!payload.starts_with(head)) return std::nullopt;
  const std::string_view digits = payload.substr(head.size());
  std::uint64_t sequence = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  if (error != std::errc{} || end == digits.data()) return std::nullopt;
  // The whole payload must be the one we sent, padding included.
  if (make_probe_payload(run_tag, sequence, size) != payload) return std::nullopt;
  return sequence;
}

std::string make_run_tag() {
  std::random_device entropy;
  return fmt::format("{:08x}", entropy() & 0xffffffffu);
}

}  // namespace udpecho
