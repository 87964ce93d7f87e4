// cgroup mode: the command runs with no capability at all, in a cgroup of its own whose BPF
// programs let the kernel skip the CAP_NET_BIND_SERVICE check for the binds the policy allows.
#pragma once

#include <string>

#include "common/error.h"
#include "common/options.h"

namespace privbind::cgroupmode {

// What this host offers, checked without changing anything: cgroup v2 and privbind's writable
// directory in it, the initial user namespace, and the BPF programs loaded (then closed) with a
// policy for nobody. Used by `privbind doctor`.
Status probe();

// Checks everything, loads the programs, starts the watcher, creates and enters the cgroup,
// drops to the target user and execs the command in place. Returns only on failure.
// When this host cannot do cgroup mode and privbind has not yet entered the cgroup (nothing it
// did outlives it), the Error says "cgroup mode: <why>" and, if unavailable is given, *unavailable
// is set to <why>, so that the caller can use another mode instead.
Error run(const LaunchOptions& options, std::string* unavailable);

}  // namespace privbind::cgroupmode
