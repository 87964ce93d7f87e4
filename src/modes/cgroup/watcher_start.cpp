#include "modes/cgroup/watcher_start.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/shared_child.h"
#include "common/startup_report.h"

namespace privbind::cgroupmode {

namespace {

// What the middle process is given and gives back, in privbind's memory, which it shares.
struct Middle {
  // In.
  const WatcherSetup* setup = nullptr;
  sigset_t mask{};                 // privbind's signal mask, the watcher's
  int privbindEnds[2] = {-1, -1};  // privbind's ends of the pipes: not the watcher's
  // Out.
  pid_t watcher = -1;
  int err = 0;  // the fork's errno
};

// The watcher, on a copy of privbind's memory, made while privbind waits in clone(2) below
// startWatcher(). It runs on the middle's stack, inside a frame of privbind's that this copy never
// returns to: what lies below it on the main stack is free in this copy.
[[noreturn]] void becomeWatcher(const Middle& m) {
  for (int fd : m.privbindEnds) close(fd);
  // The middle ran with every signal blocked (shared_child.h); the watcher gets privbind's mask.
  if (sigprocmask(SIG_SETMASK, &m.mask, nullptr) != 0) {
    const std::string line =
        "error " + Error::fromErrno("sigprocmask(SIG_SETMASK)", errno).message() + "\n";
    (void)!retryEintr([&] { return ::write(m.setup->reportFd, line.data(), line.size()); });
    _exit(kExitFailure);
  }
  watcherMain(*m.setup);
}

// The middle process exits at once: the watcher is not the command's child, so the command never
// sees its exit status, and it is reparented to init or the nearest subreaper. The middle shares
// privbind's memory: system calls only, and it writes only m's Out fields.
int middleMain(void* arg) {
  Middle& m = *static_cast<Middle*>(arg);
  // _Fork(3) (glibc 2.34): fork without pthread_atfork(3) handlers or glibc's fork locks, which
  // would run here on privbind's memory; async-signal-safe. The child's memory is its own copy.
  pid_t w = _Fork();
  if (w == 0) becomeWatcher(m);
  if (w < 0) {
    m.err = errno;
    return 1;
  }
  m.watcher = w;
  return 0;
}

}  // namespace

Result<Watcher> startWatcher(int parentDirFd, const OwnCgroup& cgroup, const Programs& programs,
                             const std::vector<UniqueFd>& links, const Programs::Ring* ring,
                             const RefusalWords& words) {
  const pid_t privbind = getpid();
  int life[2], rep[2];
  if (pipe2(life, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(lifeline)", errno);
  UniqueFd lifeRead(life[0]), lifeWrite(life[1]);
  if (pipe2(rep, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(report)", errno);
  UniqueFd repRead(rep[0]), repWrite(rep[1]);

  const WatcherSetup setup{.parentFd = parentDirFd,
                           .cgroup = &cgroup,
                           .programs = &programs,
                           .links = &links,
                           .ringFd = ring ? ring->ring.get() : -1,
                           .ringLockFd = ring ? ring->lock.get() : -1,
                           .lifelineFd = lifeRead.get(),
                           .reportFd = repWrite.get(),
                           .privbind = privbind,
                           .words = &words};
  Middle m;
  m.setup = &setup;
  m.privbindEnds[0] = lifeWrite.get();
  m.privbindEnds[1] = repRead.get();
  if (sigprocmask(SIG_SETMASK, nullptr, &m.mask) != 0)
    return Error::fromErrno("sigprocmask()", errno);
  auto ws = sharedchild::run(middleMain, &m, "watcher's middle process");
  if (!ws) return ws.error();
  lifeRead.reset();
  repWrite.reset();
  if (m.err)
    return Error::refuse("starting the cgroup watcher",
                         Error::fromErrno("fork()", m.err).message());
  if (m.watcher <= 0 || !WIFEXITED(*ws) || WEXITSTATUS(*ws) != 0)
    return Error::refuse("starting the cgroup watcher",
                         "its middle process ended without an answer");
  return Watcher{m.watcher, std::move(lifeWrite), std::move(repRead)};
}

Status awaitWatcher(Watcher& watcher) {
  startup::Report r = startup::read(watcher.report.get());
  watcher.report.reset();
  if (!r.ready) return Error::refuse("starting the cgroup watcher", r.message);
  if (*r.ready != watcher.pid)
    return Error::refuse("starting the cgroup watcher",
                         "it reported pid " + std::to_string(*r.ready) + ", but was forked as " +
                             std::to_string(watcher.pid));
  return {};
}

}  // namespace privbind::cgroupmode
