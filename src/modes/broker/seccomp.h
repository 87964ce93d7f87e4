// The helper's seccomp allowlist: once it serves, the helper can make only the few system calls
// its loop needs (seccomp(2), raw classic BPF; no library).
#pragma once

#include "common/error.h"
#include "common/seccomp.h"

namespace privbind::broker {

// What the helper's serving loop may call: exactly what installSeccomp() installs (its unit test
// runs this list).
const seccomp::Allowlist& seccompAllowlist();

// Needs: no_new_privs already set. Leaves: seccomp::install() of the helper's list (x86-64 and
// AArch64; elsewhere nothing).
Status installSeccomp();

}  // namespace privbind::broker
