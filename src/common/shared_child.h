// A child task that shares privbind's memory while it runs, as posix_spawn(3) starts its
// children (clone(2) with CLONE_VM | CLONE_VFORK): no page tables are copied and none torn down,
// which a fork(2) of privbind costs. privbind is suspended until the child has exited (or
// exec'd). Used for the command search (launch.h) and for the middle process that forks cgroup
// mode's watcher (watcher_start.h).
#pragma once

#include "common/error.h"

namespace privbind::sharedchild {

// Runs fn(arg) in such a child and waits for it; returns its wait status (waitpid(2)). `what`
// names it in errors: "clone(<what>)".
//
// The child runs on a stack inside this call's frame, with every signal blocked (no handler may
// run on privbind's memory; they are delivered to privbind once its mask is back), and returns
// from fn to exit. It may only make system calls: no allocation, no lock, no stdio, no glibc
// wrapper that acts on every thread of the process (nptl's setxid: id changes must be raw
// syscall(2)s, which change the calling task only, credentials(7)); it writes nothing of
// privbind's memory but what fn's caller reads back from arg. What it does to the task itself
// (its ids, its descriptor table) stays with the task.
Result<int> run(int (*fn)(void*), void* arg, const char* what);

}  // namespace privbind::sharedchild
