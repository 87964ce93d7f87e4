// The watcher: a small process outside the command's cgroup that removes the cgroup (and with it
// the BPF programs attached there) as soon as the last process in it has exited.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "modes/cgroup/programs.h"

namespace privbind::cgroupmode {

struct Watcher {
  pid_t pid = -1;
  // privbind's end of the lifeline. It is close-on-exec: the watcher starts watching when it is
  // closed, that is when privbind has exec'd the command (already inside the cgroup) or died.
  UniqueFd lifeline;
  std::string name;  // the cgroup's: privbind-<privbind's pid>-<random>, in the parent directory
};

// The reasons of the refusal lines (ports::refusalReason() of this run's -p and -n).
struct RefusalWords {
  std::string notInPorts;
  std::string bindsUsedUp;
  std::string boundAtOnce;  // --max-bound
};

// Needs: root; parentDirFd the cgroup v2 directory privbind is in; programs loaded. Leaves: a
// new cgroup <parent>/<name> (cgroupName(), a fresh random part per attempt), empty, with the
// programs linked to it, and a watcher that holds the four links (the grant ends when the
// watcher ends, however it ends), is not privbind's child (double fork), has /dev/null as stdin,
// stdout and stderr, is in its own session (no terminal signals), holds no capability
// (CAP_DAC_OVERRIDE alone where the parent directory is not writable by its owner), and can make
// only the system calls its loop needs (seccomp). It removes the cgroup once the lifeline is
// closed and the cgroup is unpopulated, then exits. While it lives it holds a lock on the cgroup
// directory (flock(2)), so that removeLeftovers() can tell its cgroup from a leftover. As long as
// privbind's pid lives (the command, exec'd in place, or the terminal relay), the watcher also
// keeps privbind's stderr and writes there, once per port, each bind that -p or -n left to the
// kernel's refusal; then it closes it.
Result<Watcher> startWatcher(int parentDirFd, const Programs& programs, const RefusalWords& words);

// Removes the unpopulated privbind-* cgroups in parentDirFd whose watcher is gone (killed
// with SIGKILL, say). Best effort: returns the names it removed.
std::vector<std::string> removeLeftovers(int parentDirFd);

}  // namespace privbind::cgroupmode
