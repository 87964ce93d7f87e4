// The helper's seccomp allowlist: once it serves, the helper can make only the few system calls
// its loop needs (seccomp(2), raw classic BPF; no library).
#pragma once

#include "common/error.h"

namespace privbind::broker {

// Whether this architecture has an allowlist (x86-64, AArch64). Elsewhere the helper runs
// without one.
bool seccompSupported();

// Needs: no_new_privs already set (seccomp(2) requires it without CAP_SYS_ADMIN).
// Leaves: a filter that kills the process on any system call outside the list, on a foreign
// architecture or ABI (x32), for good.
Status installSeccomp();

}  // namespace privbind::broker
