#include "modes/cgroup/watcher_start.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/startup_report.h"

namespace privbind::cgroupmode {

Result<Watcher> startWatcher(int parentDirFd, const OwnCgroup& cgroup, const Programs& programs,
                             const RefusalWords& words) {
  const pid_t privbind = getpid();
  int life[2], rep[2];
  if (pipe2(life, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(lifeline)", errno);
  UniqueFd lifeRead(life[0]), lifeWrite(life[1]);
  if (pipe2(rep, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(report)", errno);
  UniqueFd repRead(rep[0]), repWrite(rep[1]);

  pid_t middle = fork();
  if (middle < 0) return Error::fromErrno("fork()", errno);
  if (middle == 0) {
    // The middle process exits at once: the watcher is not the command's child, so the command
    // never sees its exit status, and it is reparented to init or the nearest subreaper.
    lifeWrite.reset();
    repRead.reset();
    pid_t w = fork();
    if (w == 0)
      watcherMain({.parentFd = parentDirFd,
                   .cgroup = &cgroup,
                   .programs = &programs,
                   .lifelineFd = lifeRead.get(),
                   .reportFd = repWrite.get(),
                   .privbind = privbind,
                   .words = &words});
    if (w < 0) {
      std::string line = "error " + Error::fromErrno("fork()", errno).message() + "\n";
      (void)!retryEintr([&] { return ::write(repWrite.get(), line.data(), line.size()); });
    }
    _exit(w < 0 ? kExitFailure : kExitOk);
  }
  lifeRead.reset();
  repWrite.reset();
  int ws = 0;
  if (retryEintr([&] { return waitpid(middle, &ws, 0); }) != middle)
    return Error::fromErrno("waitpid(" + std::to_string(middle) + ")", errno);

  startup::Report r = startup::read(repRead.get());
  if (r.ready) return Watcher{*r.ready, std::move(lifeWrite)};
  return Error::refuse("starting the cgroup watcher", r.message);
}

}  // namespace privbind::cgroupmode
