#include "common/supervisor.h"

#include <fcntl.h>
#include <linux/sched.h>  // struct clone_args, CLONE_INTO_CGROUP
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

namespace privbind::supervisor {

Result<privdrop::CheckedPlan> plan(const ids::Target& target) {
  privdrop::Plan p;
  p.target = target;
  p.target.groups.clear();
  p.keep = 0;
  p.ambient = false;
  p.noNewPrivs = true;
  return privdrop::checkPreconditions(std::move(p));
}

namespace {

// fork(2), the child born in cgroupFd's cgroup when cgroupFd >= 0 and clone3(2) can do it.
// clone3 has no glibc wrapper before glibc 2.39 (pidfd_spawn): the raw system call, used as a
// fork (no CLONE_VM, no stack: the child returns here on a copy of this stack). glibc's fork(2)
// would also run pthread_atfork(3) handlers and reset its locks for a multi-threaded parent;
// privbind is single-threaded and registers none, and the child goes on to exec.
pid_t forkInto(int cgroupFd, Birth& birth) {
  if (cgroupFd >= 0) {
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroupFd);
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      birth.inCgroup = true;
      return static_cast<pid_t>(pid);
    }
    birth.cgroupErr = errno;
  }
  return fork();
}

}  // namespace

Result<Fork> forkHeldBack(const sigset_t& blocked, int cgroupFd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(ready)", errno);
  UniqueFd readyRead(fds[0]), readyWrite(fds[1]);
  sigset_t oldMask;
  if (sigprocmask(SIG_BLOCK, &blocked, &oldMask) != 0)
    return Error::fromErrno("sigprocmask(SIG_BLOCK)", errno);
  Birth birth;
  pid_t child = forkInto(cgroupFd, birth);
  if (child < 0) {
    int err = errno;
    (void)sigprocmask(SIG_SETMASK, &oldMask, nullptr);
    return Error::fromErrno("fork()", err);
  }
  if (child == 0) {
    readyWrite.reset();
    if (sigprocmask(SIG_SETMASK, &oldMask, nullptr) != 0)
      exitWith(Error::fromErrno("sigprocmask(SIG_SETMASK)", errno));
    return Fork{0, std::move(readyRead), birth};
  }
  return Fork{child, std::move(readyWrite), birth};
}

void awaitGo(UniqueFd ready) {
  char go = 0;
  if (retryEintr([&] { return ::read(ready.get(), &go, 1); }) != 1) _exit(kExitFailure);
}

void dropAndRelease(pid_t child, UniqueFd ready, const privdrop::CheckedPlan& plan,
                    const char* who) {
  auto fail = [&](const Error& e) {
    (void)kill(child, SIGKILL);
    exitWith(e);
  };
  // Non-dumpable before and after the uid change (which resets the flag to fs.suid_dumpable):
  // the command runs as the same uid, and a dumpable parent would let it ptrace(2) the parent
  // or open its /proc/PID/fd (root's terminal) (proc(5), ptrace access mode checks).
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(Error::fromErrno("prctl(PR_SET_DUMPABLE, 0)", errno));
  // No uid 0, no group, no capability, no_new_privs. A failed drop prints its message and ends
  // the process with 125 itself; the child sees the ready pipe close without a byte and exits.
  privdrop::drop(plan);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(Error::refuse(who, "could not make itself non-dumpable"));
  // Only now may the command go on.
  const char go = 'g';
  if (retryEintr([&] { return ::write(ready.get(), &go, 1); }) != 1)
    fail(Error::fromErrno("write(ready pipe)", errno));
}

}  // namespace privbind::supervisor
