#include "common/shared_child.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>

namespace privbind::sharedchild {

// Not instrumented by AddressSanitizer: with detect_stack_use_after_return it would put the array
// below in a "fake stack" frame of its own, outside the thread's stack, and a child running there
// (or the watcher, a fork of one) would make ASan warn at its first call of a noreturn function.
__attribute__((no_sanitize("address"))) Result<int> run(int (*fn)(void*), void* arg,
                                                        const char* what) {
  // The child's stack: this frame's array, on this thread's stack, which stays put while clone(2)
  // waits below it (musl's posix_spawn does the same).
  alignas(16) char stack[32 * 1024];
  // No signal handler may run in the child, on privbind's memory: all signals stay blocked there
  // (it inherits the mask) and are delivered to privbind once the mask is restored.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(fn, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
  int err = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Error::fromErrno(std::string("clone(") + what + ")", err);
  int ws = 0;
  if (retryEintr([&] { return waitpid(pid, &ws, 0); }) != pid)
    return Error::fromErrno("waitpid(" + std::to_string(pid) + ")", errno);
  return ws;
}

}  // namespace privbind::sharedchild
