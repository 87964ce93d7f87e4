// cgroup mode: the command runs with no capability at all, in a cgroup of its own whose BPF
// programs let the kernel skip the CAP_NET_BIND_SERVICE check for the binds the policy allows.
#pragma once

#include <string>

#include "common/error.h"
#include "common/launch_pipeline.h"
#include "common/options.h"

namespace privbind::cgroupmode {

// What this host offers, checked without changing anything: cgroup v2 and privbind's writable
// directory in it, the initial user namespace, and the BPF programs loaded (then closed) with a
// policy for nobody. Used by `privbind doctor`.
Status probe();

// Checks everything, loads the programs, starts the watcher, creates and enters the cgroup,
// drops to the target user and execs the command in place (launch::run). Returns only on
// failure: launch::Unavailable ("cgroup mode: <why>") when this host cannot do cgroup mode and
// nothing privbind did outlives it, so that -m auto may use another mode instead; otherwise a
// final Error.
launch::Failure run(const LaunchOptions& options);

}  // namespace privbind::cgroupmode
