// The privileged sequence: from root to the target user, keeping exactly the capabilities asked
// for. Used by caps mode (keep CAP_NET_BIND_SERVICE as ambient), broker mode's command (keep
// nothing) and the broker helper (keep CAP_NET_BIND_SERVICE, not inheritable).
#pragma once

#include <cstdint>

#include "common/error.h"
#include "common/ids.h"

namespace privbind::privdrop {

struct Plan {
  ids::Target target;
  uint64_t keep = 0;        // capabilities left in permitted, effective and bounding
  bool ambient = false;     // also inheritable and ambient: they survive execve(2)
  bool noNewPrivs = true;   // PR_SET_NO_NEW_PRIVS: exec can never grant more
  int lastCap = 0;          // filled by checkPreconditions()
};

// Everything that can be checked before the first credential change: that privbind is not
// installed setuid, holds CAP_SETUID, CAP_SETGID and CAP_SETPCAP, that every kept capability is
// in its bounding set, and that the kernel has ambient capabilities when they are asked for.
// Changes nothing.
Status checkPreconditions(Plan& plan);

// Needs: checkPreconditions(plan) passed. Leaves: the calling process with exactly the plan's
// credentials, verified by reading them back from /proc/self/status. On failure the process is
// in an unknown, partly dropped state: the caller must exit without running anything.
Status drop(const Plan& plan);

// Reads /proc/self/status and compares every id, group and capability set with the plan.
Status verify(const Plan& plan);

}  // namespace privbind::privdrop
