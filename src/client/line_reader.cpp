#include "client/line_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>

#include "client/async.hpp"
#include "client/private_descriptor.hpp"

namespace udpecho {

line_reader::line_reader(asio::any_io_executor executor, int fd, std::size_t longest)
    : fd_(fd), longest_(longest) {
  struct stat status {};
  if (::fstat(fd, &status) == 0 && (S_ISREG(status.st_mode) || S_ISBLK(status.st_mode))) return;
  // A pipe's own flags are only shared with other readers of the pipe; the terminal guard puts
  // them back at exit.
  int own = open_private_descriptor(fd);
  if (own == -1) own = ::dup(fd);
  if (own == -1) return;
  asio::error_code error;
  watcher_.emplace(executor);
  watcher_->assign(own, error);
  if (error) {
    watcher_.reset();
    ::close(own);
  }
}

asio::awaitable<bool> line_reader::fill() {
  char chunk[65536];
  for (;;) {
    if (watcher_) {
      auto [error] =
          co_await watcher_->async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
      // epoll takes files and /dev/null but cannot wait on them; they never block anyway.
      if (error == asio::error::operation_not_supported) {
        watcher_.reset();
      } else if (error) {
        co_return false;
      }
    }
    const ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(got));
      co_return true;
    }
    if (got < 0 && (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && watcher_))) {
      continue;
    }
    co_return false;
  }
}

asio::awaitable<std::optional<input_line>> next_line(line_reader* reader) {
  auto& r = *reader;
  for (;;) {
    const auto newline = r.buffer_.find('\n', r.scanned_);
    if (newline != std::string::npos || (r.end_ && (!r.buffer_.empty() || r.dropped_ > 0))) {
      const std::size_t kept = newline == std::string::npos ? r.buffer_.size() : newline;
      input_line line;
      line.bytes = r.buffer_.substr(0, kept);
      line.length = r.dropped_ + kept;
      r.buffer_.erase(0, newline == std::string::npos ? kept : kept + 1);
      r.scanned_ = 0;
      r.dropped_ = 0;
      if (line.bytes.ends_with('\r') && line.length == line.bytes.size()) {
        line.bytes.pop_back();
        --line.length;
      }
      co_return line;
    }
    if (r.end_) co_return std::nullopt;
    // Keep one byte more than the longest line that can be sent; the rest is only counted.
    if (r.buffer_.size() > r.longest_ + 1) {
      r.dropped_ += r.buffer_.size() - (r.longest_ + 1);
      r.buffer_.resize(r.longest_ + 1);
    }
    r.scanned_ = r.buffer_.size();
    if (!co_await r.fill()) r.end_ = true;
  }
}

}  // namespace udpecho
