// seccomp(2) allowlists for privbind's own long-lived processes (the broker helper, the cgroup
// watcher): raw classic BPF, no library. Each caller names the system calls its loop needs.
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"

namespace privbind::seccomp {

// Whether this architecture has allowlists (x86-64, AArch64). Elsewhere install() does nothing.
bool supported();

// A system call allowed only when some of its arguments have exact values (the low 32 bits of
// each; both supported architectures are little-endian).
struct ArgRule {
  long nr;
  std::vector<std::pair<int, uint32_t>> equal;  // argument index, value
};

// Needs: no_new_privs already set (seccomp(2) requires it without CAP_SYS_ADMIN).
// Leaves: a filter that kills the process on any system call that is neither in allowed nor
// matches an ArgRule, on a foreign architecture or ABI (x32), for good. Sanitizer builds (tests
// only) also allow what the sanitizer runtimes call.
Status install(const std::vector<long>& allowed, const std::vector<ArgRule>& rules = {});

}  // namespace privbind::seccomp
