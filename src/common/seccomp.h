// seccomp(2) allowlists for privbind's own long-lived processes (the broker helper, the cgroup
// watcher): classic BPF built with labels (bpf_program.h), no library. Each caller names the
// system calls its loop needs as an Allowlist, which its tests run as it is.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <utility>
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

// What a process may call: these numbers with any arguments, and the rules.
struct Allowlist {
  std::vector<long> allowed;
  std::vector<ArgRule> rules;
};

// What every other system call gets: the whole process is killed at once, as by SIGSYS that it
// cannot catch (seccomp(2), SECCOMP_RET_KILL_PROCESS, Linux 4.14).
inline constexpr uint32_t kDenied = 0x80000000U;  // SECCOMP_RET_KILL_PROCESS

// The system calls that the sanitizer runtimes make behind the program's back (switching signal
// stacks, their own locks and thread ids, mapping memory, writing a report). Sanitizer builds
// (ASan, UBSan: tests only, never a release) add them to every allowlist, so that a sanitizer
// can report instead of being killed; this is the one way an allowlist grows behind its caller's
// back, and it is empty in every other build. The unit tests check that it is empty exactly when
// the build has no sanitizer, and test the real lists in the build without.
const std::vector<long>& sanitizerCalls();

// The filter: the architecture first (a system call of another architecture, or x86-64's x32
// ABI, has other numbers: killed), then list.allowed and extra, then each rule, then kDenied.
// Pure: nothing is installed.
Result<std::vector<sock_filter>> compile(const Allowlist& list, const std::vector<long>& extra);

// Needs: no_new_privs already set (seccomp(2) requires it without CAP_SYS_ADMIN).
// Leaves: the filter of compile(list, sanitizerCalls()) in place for good, for every thread.
Status install(const Allowlist& list);
Status install(const std::vector<long>& allowed, const std::vector<ArgRule>& rules = {});

}  // namespace privbind::seccomp
