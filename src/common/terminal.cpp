#include "common/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/privdrop.h"
#include "common/supervisor.h"
#include "common/unique_fd.h"

namespace privbind::terminal {

namespace {

constexpr int kStdFds = 3;
// Signals the relay handles itself (through a signalfd) instead of dying or stopping from them.
constexpr int kRelayed[] = {SIGCHLD, SIGWINCH, SIGCONT, SIGTSTP, SIGHUP,
                            SIGTERM, SIGINT,   SIGQUIT, SIGUSR1, SIGUSR2};

struct Terminals {
  bool is[kStdFds] = {};
  int first = -1;  // the reference terminal: its settings and window size are the pty's
  // Read before the fork: once the relay runs, root's terminal is in raw mode.
  termios settings{};
  bool haveSettings = false;
  winsize size{};
  bool haveSize = false;
};

Terminals findTerminals() {
  Terminals t;
  for (int fd = 0; fd < kStdFds; ++fd) {
    t.is[fd] = isatty(fd) == 1;
    if (t.is[fd] && t.first < 0) t.first = fd;
  }
  if (t.first >= 0) {
    t.haveSettings = tcgetattr(t.first, &t.settings) == 0;
    t.haveSize = ioctl(t.first, TIOCGWINSZ, &t.size) == 0;
  }
  return t;
}

// --- the relay ---------------------------------------------------------------------------------

void writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = retryEintr([&] { return ::write(fd, data, size); });
    if (n <= 0) return;  // root's terminal is gone: the output has nowhere to go
    data += n;
    size -= static_cast<size_t>(n);
  }
}

class Relay {
 public:
  Relay(pid_t child, int master, const Terminals& ttys) : child_(child), master_(master) {
    in_ = ttys.is[0] ? 0 : -1;
    out_ = ttys.is[1] ? 1 : ttys.is[2] ? 2 : 0;
    ref_ = ttys.first;
  }

  [[noreturn]] void run(int sigfd, const Terminals& ttys) {
    saved_ = ttys.settings;
    haveSaved_ = ttys.haveSettings;
    enterRaw();
    int status = loop(sigfd);
    leaveRaw();
    _exit(status);
  }

 private:
  bool foreground() const { return in_ >= 0 && tcgetpgrp(in_) == getpgrp(); }

  // Raw mode on root's terminal while the relay is its foreground job: each key goes to the
  // pseudo-terminal unchanged, whose own line discipline then echoes, edits and turns ^C or ^Z
  // into signals for the command. Only when input is relayed at all; from the background a
  // tcsetattr(3) would stop the relay with SIGTTOU.
  void enterRaw() {
    if (raw_ || !haveSaved_ || !foreground()) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    if (tcsetattr(in_, TCSADRAIN, &raw) == 0) raw_ = true;
  }
  void leaveRaw() {
    if (raw_) (void)tcsetattr(in_, TCSADRAIN, &saved_);
    raw_ = false;
  }

  void followWindowSize() const {
    winsize ws{};
    if (ioctl(ref_, TIOCGWINSZ, &ws) == 0) (void)ioctl(master_, TIOCSWINSZ, &ws);
  }

  // The command stopped (^Z in its terminal, or a stop signal): stop the relay as well, so that
  // root's shell sees the job stopped and takes its terminal back; on fg, carry on.
  void suspend() {
    leaveRaw();
    (void)kill(getpid(), SIGSTOP);
    resume();
  }
  void resume() {
    enterRaw();
    followWindowSize();
    if (stoppedPgrp_ > 0) (void)kill(-stoppedPgrp_, SIGCONT);
    stoppedPgrp_ = 0;
    (void)kill(child_, SIGCONT);
  }

  // ^Z. The command's process group has no parent in its own session (the relay is in root's),
  // so the kernel discards the SIGTSTP its terminal would send (an orphaned process group,
  // credentials(7)). When the command's terminal would turn the byte into a signal (ISIG, and
  // VSUSP is set), stop its foreground group with SIGSTOP instead, which is never discarded;
  // reap() then sees the command stopped and stops the relay. The byte and what follows it in
  // the same read are not passed on: after ^Z, typing belongs to root's shell.
  size_t interceptSuspend(const char* buf, size_t n) {
    termios t{};
    if (tcgetattr(master_, &t) != 0 || !(t.c_lflag & ISIG) || t.c_cc[VSUSP] == _POSIX_VDISABLE)
      return n;
    const void* at = std::memchr(buf, t.c_cc[VSUSP], n);
    if (!at) return n;
    stopCommand();
    return static_cast<size_t>(static_cast<const char*>(at) - buf);
  }
  void stopCommand() {
    pid_t group = tcgetpgrp(master_);
    if (group <= 0) group = child_;
    if (kill(-group, SIGSTOP) == 0) stoppedPgrp_ = group;
  }

  // Returns true once the command has ended; status_ then holds privbind's exit status.
  bool reap() {
    for (;;) {
      int ws = 0;
      pid_t r = waitpid(child_, &ws, WNOHANG | WUNTRACED | WCONTINUED);
      if (r != child_) return false;
      if (WIFEXITED(ws)) {
        status_ = WEXITSTATUS(ws);
        return true;
      }
      if (WIFSIGNALED(ws)) {
        status_ = 128 + WTERMSIG(ws);  // as a shell reports it
        return true;
      }
      if (WIFSTOPPED(ws)) suspend();
    }
  }

  // Returns true once the command has ended.
  bool onSignals(int sigfd) {
    bool ended = false;
    signalfd_siginfo si{};
    while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      const int sig = static_cast<int>(si.ssi_signo);
      switch (sig) {
        case SIGCHLD:
          ended = reap() || ended;
          break;
        case SIGWINCH:
          followWindowSize();
          break;
        case SIGCONT:
          resume();
          break;
        case SIGTSTP:  // ^Z where root's terminal is not raw: stop as for ^Z in the pty
          stopCommand();
          break;
        default:
          // A kill(1) of privbind's pid, ^C where root's terminal is not raw, a hangup of
          // root's terminal: meant for the command.
          (void)kill(child_, sig);
      }
    }
    return ended || reap();
  }

  int loop(int sigfd) {
    char inBuf[4096], outBuf[4096];
    size_t inLen = 0;
    bool inputOpen = in_ >= 0, masterOpen = true;
    followWindowSize();
    bool ended = reap();
    while (!ended) {
      pollfd p[3] = {{sigfd, POLLIN, 0}, {master_, 0, 0}, {-1, POLLIN, 0}};
      if (masterOpen)
        p[1].events = static_cast<short>(POLLIN | (inLen ? POLLOUT : 0));
      else
        p[1].fd = -1;
      if (inputOpen && inLen == 0 && raw_) p[2].fd = in_;
      if (retryEintr([&] { return poll(p, 3, -1); }) < 0) break;
      if (p[0].revents & POLLIN) ended = onSignals(sigfd);
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = retryEintr([&] { return ::read(in_, inBuf, sizeof inBuf); });
        if (n > 0)
          inLen = interceptSuspend(inBuf, static_cast<size_t>(n));
        else if (n == 0 || errno != EAGAIN)
          inputOpen = false;  // root's terminal hung up
      }
      if (inLen && (p[1].revents & POLLOUT)) {
        ssize_t n = retryEintr([&] { return ::write(master_, inBuf, inLen); });
        if (n > 0) {
          std::memmove(inBuf, inBuf + n, inLen - static_cast<size_t>(n));
          inLen -= static_cast<size_t>(n);
        }
      }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = retryEintr([&] { return ::read(master_, outBuf, sizeof outBuf); });
        if (n > 0)
          writeAll(out_, outBuf, static_cast<size_t>(n));
        else if (n == 0 || errno != EAGAIN)
          masterOpen = false;  // EIO: no slave open any more
      }
    }
    // What the command wrote just before it ended may still be on its way through the
    // pseudo-terminal: pass it on until the slave is closed (EIO) or nothing came for 50 ms,
    // but do not wait long for whatever it left running in the background.
    for (int round = 0; masterOpen && round < 256; ++round) {
      pollfd p{master_, POLLIN, 0};
      if (retryEintr([&] { return poll(&p, 1, 50); }) <= 0) break;
      ssize_t n = retryEintr([&] { return ::read(master_, outBuf, sizeof outBuf); });
      if (n <= 0) break;
      writeAll(out_, outBuf, static_cast<size_t>(n));
    }
    return status_;
  }

  pid_t child_;
  int master_;
  int in_ = -1, out_ = 1, ref_ = 0;
  termios saved_{};
  bool haveSaved_ = false, raw_ = false;
  int status_ = kExitFailure;
  pid_t stoppedPgrp_ = 0;  // the command's group stopped by ^Z, continued on fg
};

// Needs: root, the pseudo-terminal's master, the write end of the ready pipe, the kRelayed
// signals blocked. Never returns.
[[noreturn]] void becomeRelay(pid_t child, UniqueFd master, UniqueFd ready, const Terminals& ttys,
                              const privdrop::CheckedPlan& plan) {
  // 1. Nothing of the launcher's but root's terminal on 0-2, the master and the ready pipe: what
  //    the launcher opened (a broker lifeline, say) must not live on in the relay.
  if (auto s = closeAllExcept(kStdFds, {master.get(), ready.get()}); !s) {
    (void)kill(child, SIGKILL);
    exitWith(s.error());
  }
  // 2. Non-dumpable, unprivileged (the supervisor plan), then the command may start. A dumpable
  //    relay would let the command open /proc/PID/fd/0, root's terminal.
  supervisor::dropAndRelease(child, std::move(ready), plan, "terminal relay");

  sigset_t set;
  sigemptyset(&set);
  for (int sig : kRelayed) sigaddset(&set, sig);
  UniqueFd sigfd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    (void)kill(child, SIGKILL);
    exitWith(Error::fromErrno("signalfd()", errno));
  }
  if (fcntl(master.get(), F_SETFL, O_NONBLOCK) != 0) {
    (void)kill(child, SIGKILL);
    exitWith(Error::fromErrno("fcntl(master, O_NONBLOCK)", errno));
  }
  Relay(child, master.get(), ttys).run(sigfd.get(), ttys);
}

// --- the command's side ------------------------------------------------------------------------

// Needs: root, a new child of the launcher. Returns once the relay has dropped; ends the process
// with 125 on any failure.
void becomeCommand(UniqueFd master, UniqueFd ready, const Terminals& ttys,
                   const ids::Target& target) {
  auto fail = [](const std::string& what) { exitWith(Error::fromErrno(what, errno)); };
  // The slave through the master itself (TIOCGPTPEER, Linux 4.13): no path to race on.
  UniqueFd slave(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) fail("ioctl(TIOCGPTPEER)");
  master.reset();
  // A session of its own: root's terminal stops being its controlling terminal, so TIOCSTI,
  // tcsetpgrp(3) and reads on it are refused to it and its children (tty_ioctl(4), credentials(7)).
  if (setsid() < 0) fail("setsid()");
  if (ioctl(slave.get(), TIOCSCTTY, 0) != 0) fail("ioctl(TIOCSCTTY)");
  // The settings and size root's terminal had, so that the command sees the same terminal.
  if (ttys.haveSettings && tcsetattr(slave.get(), TCSANOW, &ttys.settings) != 0)
    fail("tcsetattr(pseudo-terminal)");
  if (ttys.haveSize && ioctl(slave.get(), TIOCSWINSZ, &ttys.size) != 0)
    fail("ioctl(pseudo-terminal, TIOCSWINSZ)");
  // The command's terminal is the command's, as login(1) and sudo make it (group and mode as
  // devpts created it): ttyname(3) and reopening it keep working after the drop.
  if (fchown(slave.get(), target.user.uid, static_cast<gid_t>(-1)) != 0)
    fail("fchown(pseudo-terminal, " + std::to_string(target.user.uid) + ")");
  for (int fd = 0; fd < kStdFds; ++fd)
    if (ttys.is[fd] && dup2(slave.get(), fd) != fd)  // dup2 leaves fd inheritable
      fail("dup2(pseudo-terminal, " + std::to_string(fd) + ")");
  slave.reset();
  // Wait until the relay is unprivileged and non-dumpable: only then may the command run.
  supervisor::awaitGo(std::move(ready));
}

}  // namespace

bool wanted() {
  for (int fd = 0; fd < kStdFds; ++fd)
    if (isatty(fd) == 1) return true;
  return false;
}

Result<supervisor::Birth> isolate(const ids::Target& target, int commandCgroup) {
  const Terminals ttys = findTerminals();
  if (ttys.first < 0) return supervisor::Birth{};  // no terminal: exec in place, same pid

  // The relay's credentials: the command's uid and gid, so that it can pass signals on to the
  // command and nothing else can; no group, no capability.
  auto checked = supervisor::plan(target);
  if (!checked) return checked.error();

  UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return Error::fromErrno("posix_openpt(O_RDWR | O_NOCTTY)", errno);
  if (unlockpt(master.get()) != 0) return Error::fromErrno("unlockpt()", errno);

  sigset_t relayed;
  sigemptyset(&relayed);
  for (int sig : kRelayed) sigaddset(&relayed, sig);
  // The command's process is the child: where the mode wants it born (cgroup mode's cgroup);
  // the relay, the parent, stays where privbind is.
  auto forked = supervisor::forkHeldBack(relayed, commandCgroup);
  if (!forked) return forked.error();
  if (forked->child == 0) {
    becomeCommand(std::move(master), std::move(forked->ready), ttys, target);
    return forked->birth;
  }
  becomeRelay(forked->child, std::move(master), std::move(forked->ready), ttys, *checked);
}

}  // namespace privbind::terminal
