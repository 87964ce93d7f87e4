// A move-only owner of a file descriptor; the only place privbind calls close().
#pragma once

#include <vector>

#include "common/error.h"

namespace privbind {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Closes every descriptor from first up but those in keep: close_range(2) over the gaps or, on
// kernels before 5.9 (ENOSYS), one close at a time up to privbind_close_limit(), where the
// preload shim's closefrom() stops too (common/kernel_limits.h).
Status closeAllExcept(unsigned first, std::vector<int> keep);

}  // namespace privbind
