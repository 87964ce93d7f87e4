// The watcher process: a small process outside the command's cgroup that holds the BPF links (the
// grant lives exactly as long as it does), says the refusals the programs report, and removes the
// cgroup, and with it the programs, as soon as the last process in it has exited.
// watcher_start.h starts it; watcher_layout.h lists its descriptors.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/seccomp.h"
#include "modes/cgroup/own_cgroup.h"
#include "modes/cgroup/programs.h"

namespace privbind::cgroupmode {

// The reasons of the refusal lines (ports::refusalReason() of this run's -p and -n).
struct RefusalWords {
  std::string notInPorts;
  std::string bindsUsedUp;
  std::string boundAtOnce;  // --max-bound
};

// What the watcher is given by the process that forks it (descriptors inherited across fork).
struct WatcherSetup {
  int parentFd = -1;                  // the parent cgroup directory
  const OwnCgroup* cgroup = nullptr;  // made, held and locked by privbind
  const Programs* programs = nullptr;
  const std::vector<UniqueFd>* links = nullptr;  // the programs linked to the cgroup, by privbind
  int ringFd = -1;      // the launch's ring buffer, when the programs report (reportsRefusals())
  int ringLockFd = -1;  // and the lock of its slot
  int lifelineFd = -1;  // read end
  int reportFd = -1;    // write end of the start-up report
  pid_t privbind = -1;  // whose stderr gets the refusal lines while it lives
  const RefusalWords* words = nullptr;
};

// Needs: root, a fresh child (not privbind's: see startWatcher()), the links inherited. Leaves:
// "ok <pid>" reported, then watches; the cgroup removed
// (only if its name still leads to the directory held) once it has served. Exits at once, which
// releases the links, when the cgroup is empty, when it is gone (removed by someone else), or on
// any error; it never polls faster than once a second on any error. Never returns.
[[noreturn]] void watcherMain(const WatcherSetup& setup);

// Its seccomp allowlist, exactly what it installs: the calls allowed with any arguments, and
// those allowed only on one of its descriptors (watcher_layout.h). Apart for the unit tests that
// hold it to the layout and run it in a child.
const seccomp::Allowlist& watcherSeccompAllowlist();

}  // namespace privbind::cgroupmode
