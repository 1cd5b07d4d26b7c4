#include "client/terminal_guard.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace udpecho {

terminal_guard::terminal_guard(int fd) : fd_(fd), flags_(::fcntl(fd, F_GETFL)) {
  termios modes{};
  if (::isatty(fd) && ::tcgetattr(fd, &modes) == 0) modes_ = modes;
}

terminal_guard::~terminal_guard() {
  restore();
}

void terminal_guard::restore() const {
  if (modes_) ::tcsetattr(fd_, TCSADRAIN, &*modes_);
  if (flags_ != -1) ::fcntl(fd_, F_SETFL, flags_);
}

}  // namespace udpecho
