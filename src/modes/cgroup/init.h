// privbind as process 1 of its pid namespace (`unshare --pid --fork privbind ...`). When process
// 1 of a pid namespace exits, the kernel kills every other process in it (pid_namespaces(7)), the
// watcher included, so the command must not be process 1: privbind stays as the namespace's init,
// outside the cgroup and without any privilege, and the command runs as its child.
#pragma once

#include <sys/types.h>

#include "common/error.h"
#include "common/ids.h"
#include "common/supervisor.h"

namespace privbind::cgroupmode {

// Call it as process 1, after startWatcher() (so that the watcher, its middle process gone, is
// this process's child), and before terminal::isolate() and the check that
// the command is in the cgroup.
//
// Needs: root with CAP_SETUID, CAP_SETGID and CAP_SETPCAP; target: the command's credentials,
// which init also takes (without groups or capabilities); watcher: the watcher's pid;
// commandCgroup: the cgroup's directory when the child is the command's process (no terminal
// relay follows), else -1.
//
// It forks:
//  - the parent becomes the namespace's init and NEVER RETURNS. It closes every descriptor but
//    0-2 (the watcher's lifeline included, so that the watcher starts watching once the command
//    has exec'd), drops to the target uid and gid (no group, no capability in any set, empty
//    bounding set, no_new_privs, non-dumpable), passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1
//    and SIGUSR2 on to the command, reaps every child (the namespace's orphans come to it), and
//    exits once both the command and the watcher have ended (the watcher ends right after it
//    removed the cgroup), with the command's status (128+N when it was killed by signal N);
//  - the child returns where it was made (born in commandCgroup when clone3(2) could do it,
//    supervisor::forkHeldBack): still root, with the signal mask it had on entry, once init is
//    unprivileged and non-dumpable. It goes on exactly as privbind does when it is not process
//    1. If init fails, the child exits with 125 without going on.
//
// An Error is returned only before the fork, with nothing changed.
Result<supervisor::Birth> stayAsInit(const ids::Target& target, pid_t watcher, int commandCgroup);

}  // namespace privbind::cgroupmode
