// A parent that stays behind the command to pass signals on to it (the terminal relay, cgroup
// mode's pid-namespace init): its credentials, the fork that holds the command back, and the
// drop that lets it go.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/ids.h"
#include "common/privdrop.h"
#include "common/unique_fd.h"

namespace privbind::supervisor {

// The command's uid and gid, so that it can signal the command and nothing else can signal it;
// no group, no capability, no_new_privs. docs/SECURITY.md says why.
Result<privdrop::CheckedPlan> plan(const ids::Target& target);

// Where a forked child was made. A process moved into a cgroup by a write to cgroup.procs makes
// the kernel take cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period
// (milliseconds on an idle host); a child made in its cgroup by clone3(2) with CLONE_INTO_CGROUP
// (Linux 5.7) takes only the read side, and nothing is moved.
struct Birth {
  bool inCgroup = false;  // born in the cgroup asked for
  int cgroupErr = 0;      // asked for, but clone3(2) said this errno: a fork(2) in the parent's
                          // cgroup instead (ENOSYS, or EPERM, from a container's seccomp filter;
                          // EINVAL before Linux 5.7; ENOENT or ENODEV when the cgroup was
                          // removed)
};

struct Fork {
  pid_t child = -1;  // 0 in the child
  UniqueFd ready;    // the parent's write end, or the child's read end
  Birth birth;
};

// Makes the ready pipe, blocks `blocked` (so that no signal is lost or acted on by default
// before the parent's signalfd exists) and forks. The child gets its signal mask back at once;
// the parent keeps the signals blocked. When the fork fails the mask is restored.
// With cgroupFd (a cgroup v2 directory, open) the child is born in that cgroup when clone3(2)
// can do it; whatever clone3 says otherwise, a plain fork(2) follows, and fork.birth tells which
// one made the child (the caller then moves it, and its checks say what is wrong with the
// cgroup).
Result<Fork> forkHeldBack(const sigset_t& blocked, int cgroupFd = -1);

// In the child: waits for the parent's byte. Without it the parent failed and said so, and the
// child exits with 125.
void awaitGo(UniqueFd ready);

// In the parent, with only what it keeps still open: non-dumpable, the plan's drop, checked
// non-dumpable again, then one byte on ready lets the child go. Any failure kills the child and
// ends the process (exitWith); `who` names it in the message.
void dropAndRelease(pid_t child, UniqueFd ready, const privdrop::CheckedPlan& plan,
                    const char* who);

}  // namespace privbind::supervisor
