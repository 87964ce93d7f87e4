#include "modes/cgroup/init.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/privdrop.h"
#include "common/supervisor.h"
#include "common/unique_fd.h"

namespace privbind::cgroupmode {

namespace {

// What init passes on to the command: what kill(1), a service manager or a terminal sends to
// the namespace's process 1 is meant for the command.
constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// Needs: root, the command's child pid, the write end of the ready pipe, kForwarded and SIGCHLD
// blocked. Never returns.
[[noreturn]] void becomeInit(pid_t command, pid_t watcher, UniqueFd ready,
                             const privdrop::CheckedPlan& plan) {
  // 1. Nothing of privbind's but 0-2 and the ready pipe: the lifeline above all, since the
  //    watcher waits until its every copy is closed, and the programs' descriptors.
  if (auto s = closeAllExcept(3, {ready.get()}); !s) {
    (void)kill(command, SIGKILL);
    exitWith(s.error());
  }
  // 2. Non-dumpable, unprivileged (the supervisor plan, as the terminal relay), then the command
  //    may go on. On failure: message, 125, and the kernel ends the rest of the namespace with
  //    init.
  supervisor::dropAndRelease(command, std::move(ready), plan, "pid namespace init");

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

Result<supervisor::Birth> stayAsInit(const ids::Target& target, pid_t watcher, int commandCgroup) {
  // Init's credentials: the command's uid and gid, so that it can pass signals on to the
  // command; no group, no capability. The terminal relay's plan.
  auto checked = supervisor::plan(target);
  if (!checked) return checked.error();

  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  for (int sig : kForwarded) sigaddset(&handled, sig);
  // init stays where privbind is; the child is born in commandCgroup when it is the command's
  // process (no terminal relay to fork after it).
  auto forked = supervisor::forkHeldBack(handled, commandCgroup);
  if (!forked) return forked.error();
  if (forked->child == 0) {
    // Wait until init is unprivileged and non-dumpable; without a byte, init failed and said so.
    supervisor::awaitGo(std::move(forked->ready));
    return forked->birth;
  }
  becomeInit(forked->child, watcher, std::move(forked->ready), *checked);
}

}  // namespace privbind::cgroupmode
