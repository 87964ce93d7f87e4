// /proc/PID/status, the kernel's own account of a process's credentials (proc(5)).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace privbind::proc {

struct Status {
  std::array<uid_t, 4> uid{};  // real, effective, saved, filesystem
  std::array<gid_t, 4> gid{};
  std::vector<gid_t> groups;
  uint64_t capInh = 0, capPrm = 0, capEff = 0, capBnd = 0, capAmb = 0;
  int noNewPrivs = -1;
  int seccomp = -1;
};

Result<Status> parseStatus(const std::string& text);
Result<Status> readStatus(pid_t pid);  // pid 0: this process
Result<Status> readSelf();

}  // namespace privbind::proc
