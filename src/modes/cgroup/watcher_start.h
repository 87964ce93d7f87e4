// Starting cgroup mode's watcher (watcher.h): the double fork and the start-up handshake.
#pragma once

#include <sys/types.h>

#include <vector>

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
  // The read end of its start-up report, until awaitWatcher() has read it.
  UniqueFd report;
};

// Needs: root; parentDirFd the cgroup v2 directory privbind is in; cgroup made and locked by
// createOwnCgroup() in it; the programs linked to it (links, through its descriptor, never its
// name) and, when they report, the launch's ring buffer. Starts a watcher that inherits and holds
// the links (the grant ends when the
// watcher ends, however it ends), is not privbind's child (double fork), has /dev/null as stdin,
// stdout and stderr, is in its own session (no terminal signals), holds no capability
// (CAP_DAC_OVERRIDE alone where the parent directory is not writable by its owner), and can make
// only the system calls its loop needs (seccomp). It keeps a copy of the cgroup's descriptor, and
// with it the flock(2), so that removeLeftovers() can tell its cgroup from a leftover. As long as
// privbind's pid lives (the command, exec'd in place, or the terminal relay), the watcher also
// keeps privbind's stderr and writes there, once per port, each bind that -p or -n left to the
// kernel's refusal; then it closes it.
//
// Returns once the watcher is forked, with its pid: the middle process that forks it shares
// privbind's memory (shared_child.h), so that only the watcher's fork copies privbind's address
// space; the watcher itself is a real fork, which outlives privbind's exec. Its set-up runs while
// privbind goes on; awaitWatcher() reads its report. On failure the cgroup is left to the caller.
Result<Watcher> startWatcher(int parentDirFd, const OwnCgroup& cgroup, const Programs& programs,
                             const std::vector<UniqueFd>& links, const Programs::Ring* ring,
                             const RefusalWords& words);

// Reads the watcher's start-up report to its end (it closes the pipe only once its seccomp
// filter is in place): {} when it said "ok <its pid>" and nothing after, else the refusal
// "starting the cgroup watcher: <why>" (it has then exited, after removing the cgroup when it
// could; otherwise the cgroup is left to the caller). cgroup mode calls it as late as it can,
// right before exec: the command never runs without a watcher that set itself up.
Status awaitWatcher(Watcher& watcher);

}  // namespace privbind::cgroupmode
