// Starting cgroup mode's watcher (watcher.h): the double fork and the start-up handshake.
#pragma once

#include <sys/types.h>

#include "common/error.h"
#include "common/unique_fd.h"
#include "modes/cgroup/own_cgroup.h"
#include "modes/cgroup/programs.h"
#include "modes/cgroup/watcher.h"

namespace privbind::cgroupmode {

struct Watcher {
  pid_t pid = -1;
  // privbind's end of the lifeline. It is close-on-exec: the watcher starts watching when it is
  // closed, that is when privbind has exec'd the command (already inside the cgroup) or died.
  UniqueFd lifeline;
};

// Needs: root; parentDirFd the cgroup v2 directory privbind is in; cgroup made and locked by
// createOwnCgroup() in it; programs loaded. Leaves: the programs linked to that cgroup (through
// its descriptor, never its name) and a watcher that holds the four links (the grant ends when the
// watcher ends, however it ends), is not privbind's child (double fork), has /dev/null as stdin,
// stdout and stderr, is in its own session (no terminal signals), holds no capability
// (CAP_DAC_OVERRIDE alone where the parent directory is not writable by its owner), and can make
// only the system calls its loop needs (seccomp). It keeps a copy of the cgroup's descriptor, and
// with it the flock(2), so that removeLeftovers() can tell its cgroup from a leftover. As long as
// privbind's pid lives (the command, exec'd in place, or the terminal relay), the watcher also
// keeps privbind's stderr and writes there, once per port, each bind that -p or -n left to the
// kernel's refusal; then it closes it. On failure the cgroup is left to the caller.
Result<Watcher> startWatcher(int parentDirFd, const OwnCgroup& cgroup, const Programs& programs,
                             const RefusalWords& words);

}  // namespace privbind::cgroupmode
