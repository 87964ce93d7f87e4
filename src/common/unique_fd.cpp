#include "common/unique_fd.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "common/kernel_limits.h"

// close_range(2) has the same number on every architecture (Linux 5.9); older headers lack it.
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace privbind {

void UniqueFd::reset(int fd) {
  // close(2): never retried on EINTR, the descriptor is gone either way on Linux.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

Status closeRange(unsigned first, unsigned last) {
  if (syscall(SYS_close_range, first, last, 0) == 0) return {};
  if (errno != ENOSYS)
    return Error::fromErrno(
        "close_range(" + std::to_string(first) + ", " + std::to_string(last) + ")", errno);
  const unsigned limit = privbind_close_limit();
  for (unsigned fd = first; fd <= last && fd < limit; ++fd) {
    UniqueFd closer(static_cast<int>(fd));  // EBADF for numbers not in use: harmless
  }
  return {};
}

}  // namespace

Status closeAllExcept(unsigned first, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < first) continue;
    if (static_cast<unsigned>(fd) > first)
      if (auto s = closeRange(first, static_cast<unsigned>(fd) - 1); !s) return s;
    first = static_cast<unsigned>(fd) + 1;
  }
  return closeRange(first, ~0U);
}

}  // namespace privbind
