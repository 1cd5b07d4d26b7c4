#include "client/private_descriptor.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace udpecho {

int open_private_descriptor(int fd) {
  if (!::isatty(fd)) return -1;
  const char* name = ::ttyname(fd);
  if (name == nullptr) return -1;
  return ::open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

}  // namespace udpecho
