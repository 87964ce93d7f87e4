#include "modes/cgroup/init.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/privdrop.h"
#include "common/unique_fd.h"

// close_range(2) has the same number on every architecture (Linux 5.9); older headers lack it.
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace privbind::cgroupmode {

namespace {

// What init passes on to the command: what kill(1), a service manager or a terminal sends to
// the namespace's process 1 is meant for the command.
constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// Every descriptor above 2 but keep: the lifeline above all, since the watcher waits until its
// every copy is closed, and the programs' descriptors. close_range(2), or one close at a time up
// to RLIMIT_NOFILE on kernels before 5.9.
void closeAllBut(int keep) {
  rlimit lim{};
  rlim_t max = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 65536;
  if (max == RLIM_INFINITY || max > (1U << 20)) max = 1U << 20;
  const auto k = static_cast<unsigned>(keep);
  const unsigned ranges[2][2] = {{3, k - 1}, {k + 1, ~0U}};
  for (const auto& r : ranges) {
    if (r[0] > r[1]) continue;
    if (syscall(SYS_close_range, r[0], r[1], 0U) == 0) continue;
    for (rlim_t fd = r[0]; fd <= r[1] && fd < max; ++fd) {
      UniqueFd closer(static_cast<int>(fd));  // EBADF for numbers not in use: harmless
    }
  }
}

// Needs: root, the command's child pid, the write end of the ready pipe, kForwarded and SIGCHLD
// blocked. Never returns.
[[noreturn]] void becomeInit(pid_t command, pid_t watcher, UniqueFd ready,
                             const privdrop::CheckedPlan& plan) {
  // 1. Nothing of privbind's but 0-2 and the ready pipe.
  closeAllBut(ready.get());
  // 2. Non-dumpable before and after the uid change (which resets the flag to fs.suid_dumpable):
  //    the command runs as the same uid, and a dumpable init would let it ptrace(2) init (proc(5),
  //    ptrace access mode checks). The same checklist as the terminal relay's.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    (void)kill(command, SIGKILL);
    exitWith(Error::fromErrno("prctl(PR_SET_DUMPABLE, 0)", errno));
  }
  // 3. No uid 0, no group, no capability, no_new_privs. On failure: message, 125, and the
  //    kernel ends the rest of the namespace with init.
  privdrop::drop(plan);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
    exitWith(Error::refuse("pid namespace init", "could not make itself non-dumpable"));
  // 4. Only now may the command go on.
  const char go = 'g';
  if (retryEintr([&] { return ::write(ready.get(), &go, 1); }) != 1)
    exitWith(Error::fromErrno("write(ready pipe)", errno));
  ready.reset();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int sig : kForwarded) sigaddset(&set, sig);
  UniqueFd sigfd(signalfd(-1, &set, SFD_CLOEXEC));
  if (!sigfd) exitWith(Error::fromErrno("signalfd()", errno));

  // 5. Reap until both the command and the watcher have ended. Signals sent to a pid
  //    namespace's init are queued only when it handles them or, as here, blocks them
  //    (pid_namespaces(7), signal(7)); the kernel never lets the command stop or kill init.
  int status = kExitFailure;
  bool commandDone = false, watcherDone = false;
  auto reap = [&] {
    for (;;) {
      int ws = 0;
      pid_t r = waitpid(-1, &ws, WNOHANG);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {  // ECHILD: nobody left to wait for
        commandDone = watcherDone = true;
        return;
      }
      if (r == 0) return;
      if (r == command) {
        commandDone = true;
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);  // as a shell says it
      }
      if (r == watcher) watcherDone = true;
    }
  };
  reap();
  while (!(commandDone && watcherDone)) {
    signalfd_siginfo si{};
    if (retryEintr([&] { return ::read(sigfd.get(), &si, sizeof si); }) !=
        static_cast<ssize_t>(sizeof si))
      exitWith(Error::fromErrno("read(signalfd)", errno));
    if (si.ssi_signo == SIGCHLD)
      reap();
    else if (!commandDone)
      (void)kill(command, static_cast<int>(si.ssi_signo));
  }
  _exit(status);
}

}  // namespace

Status stayAsInit(const ids::Target& target, pid_t watcher) {
  // Init's credentials: the command's uid and gid, so that it can pass signals on to the
  // command; no group, no capability. The terminal relay's plan.
  privdrop::Plan plan;
  plan.target = target;
  plan.target.groups.clear();
  plan.keep = 0;
  plan.ambient = false;
  plan.noNewPrivs = true;
  auto checked = privdrop::checkPreconditions(std::move(plan));
  if (!checked) return checked.error();

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(ready)", errno);
  UniqueFd readyRead(fds[0]), readyWrite(fds[1]);

  // Blocked before the fork so that none is lost or acted on by default in init before its
  // signalfd exists; the child restores the mask at once.
  sigset_t set, oldMask;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int sig : kForwarded) sigaddset(&set, sig);
  if (sigprocmask(SIG_BLOCK, &set, &oldMask) != 0)
    return Error::fromErrno("sigprocmask(SIG_BLOCK)", errno);

  pid_t child = fork();
  if (child < 0) {
    int err = errno;
    (void)sigprocmask(SIG_SETMASK, &oldMask, nullptr);
    return Error::fromErrno("fork()", err);
  }
  if (child == 0) {
    readyWrite.reset();
    if (sigprocmask(SIG_SETMASK, &oldMask, nullptr) != 0)
      exitWith(Error::fromErrno("sigprocmask(SIG_SETMASK)", errno));
    // Wait until init is unprivileged and non-dumpable; without a byte, init failed and said so.
    char go = 0;
    if (retryEintr([&] { return ::read(readyRead.get(), &go, 1); }) != 1) _exit(kExitFailure);
    return {};
  }
  readyRead.reset();
  becomeInit(child, watcher, std::move(readyWrite), *checked);
}

}  // namespace privbind::cgroupmode
