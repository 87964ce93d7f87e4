#include "common/unique_fd.h"

#include <unistd.h>

namespace privbind {

void UniqueFd::reset(int fd) {
  // close(2): never retried on EINTR, the descriptor is gone either way on Linux.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace privbind
