// udpecho-load: a bounded UDP echo load generator for loopback benchmarks.
//
// N flows (one connected socket each) keep a window of requests in flight. Every request carries
// its flow, slot and generation, and a body derived from them, so every reply is checked byte for
// byte against the reply prefix and the exact request. A request unanswered after --timeout-ms is
// counted as lost and replaced; its late reply, if any, is counted apart.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t header_bytes = 16;  // flow (4), slot (4), generation (8)
constexpr std::size_t batch = 64;
constexpr std::size_t max_payload = 65000;
constexpr std::size_t max_samples = 50'000'000;  // RTT samples kept; bounds memory

struct options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  unsigned flows = 1;
  unsigned window = 1;
  std::size_t payload = 32;
  double duration = 3.0;
  std::string prefix = "server send data:";
  unsigned timeout_ms = 1000;
  std::uint64_t count = 0;  // requests to send in all; 0: as many as the duration allows
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(
      stderr,
      "udpecho-load: %s\n"
      "usage: udpecho-load --port P [--host 127.0.0.1|::1] [--flows N (1-64)]\n"
      "         [--window W (1-1024)] [--payload BYTES (16-65000)] [--duration S (0.1-600)]\n"
      "         [--prefix TEXT] [--timeout-ms MS (1-5000)] [--count REQUESTS]\n"
      "With --count, stops after that many requests (or the duration, whichever comes first).\n"
      "Prints one line: replies_per_s p50_us p99_us sent replies lost late bad.\n",
      why);
  std::exit(64);
}

unsigned long parse_number(std::string_view text, unsigned long low, unsigned long high,
                           const char* what) {
  unsigned long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < low ||
      value > high) {
    usage(what);
  }
  return value;
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help") usage("a UDP echo load generator (loopback only)");
    if (i + 1 >= argc) usage("every option takes a value");
    const std::string_view value = argv[++i];
    if (arg == "--host") {
      o.host = value;
    } else if (arg == "--port") {
      o.port = static_cast<unsigned>(parse_number(value, 1, 65535, "--port: 1-65535"));
    } else if (arg == "--flows") {
      o.flows = static_cast<unsigned>(parse_number(value, 1, 64, "--flows: 1-64"));
    } else if (arg == "--window") {
      o.window = static_cast<unsigned>(parse_number(value, 1, 1024, "--window: 1-1024"));
    } else if (arg == "--payload") {
      o.payload = parse_number(value, header_bytes, max_payload, "--payload: 16-65000");
    } else if (arg == "--duration") {
      o.duration = std::atof(std::string(value).c_str());
      if (!(o.duration >= 0.1 && o.duration <= 600)) usage("--duration: 0.1-600 seconds");
    } else if (arg == "--prefix") {
      o.prefix = value;
    } else if (arg == "--count") {
      o.count = parse_number(value, 1, 100'000'000, "--count: 1-100000000");
    } else if (arg == "--timeout-ms") {
      o.timeout_ms = static_cast<unsigned>(parse_number(value, 1, 5000, "--timeout-ms: 1-5000"));
    } else {
      usage("unknown option");
    }
  }
  if (o.port == 0) usage("--port is required");
  return o;
}

// The benchmark never leaves the machine.
sockaddr_storage loopback_target(const options& o, socklen_t& length) {
  sockaddr_storage target{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&target);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&target);
  if (inet_pton(AF_INET, o.host.c_str(), &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) usage("--host must be a loopback address");
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(o.port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, o.host.c_str(), &v6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) usage("--host must be a loopback address");
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(o.port));
    length = sizeof *v6;
  } else {
    usage("--host is not an IP address");
  }
  return target;
}

struct slot_state {
  std::uint64_t generation = 0;
  clock_type::time_point sent_at;
};

struct flow {
  int fd = -1;
  std::uint32_t id = 0;
  std::vector<slot_state> slots;
  std::vector<std::uint32_t> to_send;  // slots whose next request is due
};

class generator {
 public:
  explicit generator(const options& o) : o_(o) {
    pattern_.resize(max_payload + 256);
    for (std::size_t i = 0; i < pattern_.size(); ++i) {
      pattern_[i] = static_cast<char>((i * 131 + (i >> 8)) & 0xff);
    }
    send_buffers_.resize(batch * o.payload);
    receive_buffers_.resize(batch * (o.payload + o.prefix.size() + 1));
  }

  int run();

 private:
  void fill(char* out, std::uint32_t flow_id, std::uint32_t slot, std::uint64_t generation) const {
    std::memcpy(out, &flow_id, 4);
    std::memcpy(out + 4, &slot, 4);
    std::memcpy(out + 8, &generation, 8);
    std::memcpy(out + header_bytes, body(flow_id, generation), o_.payload - header_bytes);
  }
  const char* body(std::uint32_t flow_id, std::uint64_t generation) const {
    return pattern_.data() + ((generation * 7 + flow_id * 13) & 0xff);
  }
  void send_due(flow& f, bool measuring);
  void receive(flow& f, bool measuring);
  void expire(flow& f, clock_type::time_point now, bool measuring);

  options o_;
  std::vector<char> pattern_;
  std::vector<char> send_buffers_;
  std::vector<char> receive_buffers_;
  std::vector<std::uint32_t> rtt_ns_;
  std::uint64_t sent_ = 0, replies_ = 0, measured_replies_ = 0, lost_ = 0, late_ = 0, bad_ = 0;
  std::uint64_t send_errors_ = 0;
};

void generator::send_due(flow& f, bool measuring) {
  if (o_.count != 0 && f.to_send.size() > o_.count - sent_) f.to_send.resize(o_.count - sent_);
  std::size_t done = 0;
  while (done < f.to_send.size()) {
    const std::size_t count = std::min(batch, f.to_send.size() - done);
    mmsghdr headers[batch]{};
    iovec iov[batch];
    const auto now = clock_type::now();
    for (std::size_t i = 0; i < count; ++i) {
      const auto slot = f.to_send[done + i];
      auto& state = f.slots[slot];
      ++state.generation;
      state.sent_at = now;
      char* out = send_buffers_.data() + i * o_.payload;
      fill(out, f.id, slot, state.generation);
      iov[i] = {out, o_.payload};
      headers[i].msg_hdr.msg_iov = &iov[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = sendmmsg(f.fd, headers, static_cast<unsigned>(count), 0);
    if (n < 0) {
      // A refused send (ECONNREFUSED from an earlier ICMP error, ENOBUFS) shows up as loss.
      ++send_errors_;
      done += 1;
      continue;
    }
    done += static_cast<std::size_t>(n);
    if (measuring) sent_ += static_cast<std::uint64_t>(n);
  }
  f.to_send.clear();
}

void generator::receive(flow& f, bool measuring) {
  const std::size_t slot_size = o_.payload + o_.prefix.size() + 1;
  const std::size_t expected = o_.payload + o_.prefix.size();
  for (;;) {
    mmsghdr headers[batch]{};
    iovec iov[batch];
    for (std::size_t i = 0; i < batch; ++i) {
      iov[i] = {receive_buffers_.data() + i * slot_size, slot_size};
      headers[i].msg_hdr.msg_iov = &iov[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(f.fd, headers, batch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    const auto now = clock_type::now();
    for (int i = 0; i < n; ++i) {
      const char* reply = receive_buffers_.data() + static_cast<std::size_t>(i) * slot_size;
      const std::size_t length = headers[i].msg_len;
      std::uint32_t flow_id = 0, slot = 0;
      std::uint64_t generation = 0;
      const char* request = reply + o_.prefix.size();
      if (length != expected || std::memcmp(reply, o_.prefix.data(), o_.prefix.size()) != 0) {
        ++bad_;
        continue;
      }
      std::memcpy(&flow_id, request, 4);
      std::memcpy(&slot, request + 4, 4);
      std::memcpy(&generation, request + 8, 8);
      if (flow_id != f.id || slot >= f.slots.size() || generation == 0 ||
          generation > f.slots[slot].generation ||
          std::memcmp(request + header_bytes, body(flow_id, generation),
                      o_.payload - header_bytes) != 0) {
        ++bad_;
        continue;
      }
      auto& state = f.slots[slot];
      if (generation != state.generation || state.sent_at == clock_type::time_point{}) {
        ++late_;  // answered after it was given up as lost, or a duplicate
        continue;
      }
      ++replies_;
      if (measuring) {
        ++measured_replies_;
        if (rtt_ns_.size() < max_samples) {
          const auto rtt =
              std::chrono::duration_cast<std::chrono::nanoseconds>(now - state.sent_at);
          rtt_ns_.push_back(
              static_cast<std::uint32_t>(std::min<long long>(rtt.count(), UINT32_MAX)));
        }
      }
      state.sent_at = clock_type::time_point{};
      f.to_send.push_back(slot);
    }
  }
}

void generator::expire(flow& f, clock_type::time_point now, bool measuring) {
  const auto limit = std::chrono::milliseconds(o_.timeout_ms);
  for (std::uint32_t slot = 0; slot < f.slots.size(); ++slot) {
    auto& state = f.slots[slot];
    if (state.sent_at == clock_type::time_point{} || now - state.sent_at < limit) continue;
    ++lost_;
    state.sent_at = clock_type::time_point{};
    if (measuring) f.to_send.push_back(slot);
  }
}

int generator::run() {
  socklen_t target_length = 0;
  const auto target = loopback_target(o_, target_length);
  std::vector<flow> flows(o_.flows);
  std::vector<pollfd> fds(o_.flows);
  for (std::uint32_t i = 0; i < o_.flows; ++i) {
    auto& f = flows[i];
    f.id = i;
    f.fd = socket(target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (f.fd < 0 || connect(f.fd, reinterpret_cast<const sockaddr*>(&target), target_length) != 0) {
      std::perror("udpecho-load: socket");
      return 1;
    }
    const int buffer = 4 << 20;
    setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    f.slots.resize(o_.window);
    for (std::uint32_t s = 0; s < o_.window; ++s) f.to_send.push_back(s);
    fds[i] = {f.fd, POLLIN, 0};
  }
  rtt_ns_.reserve(std::min<std::size_t>(max_samples, 4'000'000));

  const auto start = clock_type::now();
  const auto stop_sending = start + std::chrono::duration<double>(o_.duration);
  // After the measured period, outstanding requests get one timeout to come back.
  const auto give_up = stop_sending + std::chrono::milliseconds(o_.timeout_ms);
  auto last_expiry_check = start;
  for (auto& f : flows) send_due(f, true);
  for (;;) {
    const auto now = clock_type::now();
    const bool measuring = now < stop_sending && (o_.count == 0 || sent_ < o_.count);
    if (!measuring) {
      bool outstanding = false;
      for (auto& f : flows) {
        for (auto& s : f.slots) outstanding |= s.sent_at != clock_type::time_point{};
      }
      if (!outstanding || now >= give_up) break;
    }
    if (now - last_expiry_check > std::chrono::milliseconds(10)) {
      last_expiry_check = now;
      for (auto& f : flows) expire(f, now, measuring);
    }
    const int ready = poll(fds.data(), fds.size(), 5);
    if (ready < 0 && errno != EINTR) {
      std::perror("udpecho-load: poll");
      return 1;
    }
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (fds[i].revents == 0) continue;
      receive(flows[i], measuring);
      if (measuring) {
        send_due(flows[i], true);
      } else {
        flows[i].to_send.clear();
      }
    }
    if (measuring) {
      for (auto& f : flows) send_due(f, true);
    }
  }
  // Whatever is still unanswered at the end is lost.
  for (auto& f : flows) {
    for (auto& s : f.slots) lost_ += s.sent_at != clock_type::time_point{};
    close(f.fd);
  }

  double p50 = 0, p99 = 0;
  if (!rtt_ns_.empty()) {
    auto at = [&](double q) {
      const auto k = static_cast<std::size_t>(q * static_cast<double>(rtt_ns_.size() - 1));
      std::nth_element(rtt_ns_.begin(), rtt_ns_.begin() + static_cast<long>(k), rtt_ns_.end());
      return rtt_ns_[k] / 1000.0;
    };
    p50 = at(0.50);
    p99 = at(0.99);
  }
  std::printf(
      "replies_per_s=%.0f p50_us=%.1f p99_us=%.1f sent=%llu replies=%llu lost=%llu late=%llu "
      "bad=%llu send_errors=%llu\n",
      static_cast<double>(measured_replies_) / o_.duration, p50, p99,
      static_cast<unsigned long long>(sent_), static_cast<unsigned long long>(replies_),
      static_cast<unsigned long long>(lost_), static_cast<unsigned long long>(late_),
      static_cast<unsigned long long>(bad_), static_cast<unsigned long long>(send_errors_));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  generator g(o);
  return g.run();
}
