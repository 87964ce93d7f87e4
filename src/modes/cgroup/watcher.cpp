#include "modes/cgroup/watcher.h"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/caps.h"
#include "common/ports.h"
#include "common/privdrop.h"
#include "common/seccomp.h"
#include "common/startup_report.h"
#include "modes/cgroup/bind_records.h"
#include "modes/cgroup/hierarchy.h"
#include "modes/cgroup/programs.h"

namespace privbind::cgroupmode {

namespace {

// The watcher's descriptors once it is set up.
constexpr int kParentFd = 3;  // the parent cgroup directory: unlinkat(kParentFd, name)
// Its own cgroup directory, open only to hold the flock(LOCK_EX): never used by number.
[[maybe_unused]] constexpr int kLockFd = 4;
constexpr int kEventsFd = 5;      // <cgroup>/cgroup.events
constexpr int kLifelineFd = 6;    // read end; EOF when privbind has exec'd or died
constexpr int kReportFd = 7;      // to privbind, until set-up is done
constexpr int kRefusalsFd = 8;    // the programs' ring buffer of refusals by -p and -n
constexpr int kNoticeFd = 9;      // privbind's stderr, for the refusal lines (or /dev/null)
constexpr int kCommandFd = 10;    // a pidfd of privbind, which is or runs the command
constexpr int kFirstLinkFd = 11;  // the four BPF links: the grant lives as long as the watcher

// bind.bpf.c's struct refusal and its reasons.
struct RefusalRecord {
  uint16_t port;
  uint8_t protocol;
  uint8_t reason;
};
constexpr uint8_t kRefusedPorts = 1;
constexpr uint8_t kRefusedBinds = 2;

// Its loop: wait (poll), read the lifeline and cgroup.events (read, pread64), say refusals on
// privbind's stderr (write, only to kNoticeFd; the ring buffer is read from memory mapped before),
// remove the cgroup (unlinkat, only relative to kParentFd and only with AT_REMOVEDIR), exit. No
// open, no other write, no exec, no socket, no kill, no ptrace: a watcher that is uid 0 could
// otherwise still open root-owned files by their permission bits.
Status installSeccomp() {
  std::vector<long> allowed = {
#ifdef SYS_poll
      SYS_poll,
#endif
      SYS_ppoll, SYS_read,       SYS_pread64,      SYS_lseek,           SYS_close,
      SYS_exit,  SYS_exit_group, SYS_rt_sigreturn, SYS_restart_syscall,
  };
  // unlinkat(kParentFd, name, AT_REMOVEDIR) and no other. A relative name cannot leave the
  // parent cgroup directory: it has no links and no "..", and the name is privbind's own.
  return seccomp::install(allowed, {{SYS_unlinkat, {{0, kParentFd}, {2, AT_REMOVEDIR}}},
                                    {SYS_write, {{0, kNoticeFd}}}});
}

// "populated 1" or "populated 0" in cgroup.events (cgroup v2: the cgroup or a descendant has a
// live process). -1 when the file cannot be read.
int populated(int eventsFd) {
  char buf[256];
  ssize_t n = retryEintr([&] { return pread(eventsFd, buf, sizeof buf - 1, 0); });
  if (n <= 0) return -1;
  std::string_view text(buf, static_cast<size_t>(n));
  size_t at = text.find("populated ");
  if (at == std::string_view::npos || at + 10 >= text.size()) return -1;
  return text[at + 10] == '0' ? 0 : 1;
}

void report(int fd, const std::string& text) {
  (void)!retryEintr([&] { return ::write(fd, text.data(), text.size()); });
}

// Whether uid 0 without capabilities may create and remove entries in the directory.
bool ownerMayWrite(int dirFd) {
  struct stat st {};
  if (fstat(dirFd, &st) != 0) return false;
  return st.st_uid == 0 && (st.st_mode & S_IWUSR) && (st.st_mode & S_IXUSR);
}

// Places fd at number to (to below from's range: no overlap, see moveTo's callers).
bool moveTo(int fd, int to) {
  if (fd == to) return fcntl(fd, F_SETFD, 0) == 0;
  return dup2(fd, to) == to;
}

// One record of the ring buffer: one line on privbind's stderr. No allocation (no brk or mmap under
// the filter). A stderr that cannot take the line now (a full pipe nobody reads) loses it rather
// than stop the watcher, whose real work is removing the cgroup.
int onRefusal(void* ctx, void* data, size_t size) {
  if (size < sizeof(RefusalRecord)) return 0;
  RefusalRecord r;
  std::memcpy(&r, data, sizeof r);
  // ctx: the run's RefusalWords, formed before the seccomp filter.
  const auto* words = static_cast<const RefusalWords*>(ctx);
  // --max-bound's refusals and --trace-binds' records: bind_records.cpp.
  if (r.reason != kRefusedPorts && r.reason != kRefusedBinds)
    return records::onRecord(kNoticeFd, *words, data, size);
  const std::string& why = r.reason == kRefusedPorts ? words->notInPorts : words->bindsUsedUp;
  char line[512];
  size_t n = ports::formatRefusal(line, r.port, r.protocol, why);
  pollfd out{kNoticeFd, POLLOUT, 0};
  if (poll(&out, 1, 0) == 1 && (out.revents & POLLOUT))
    (void)!retryEintr([&] { return ::write(kNoticeFd, line, n); });
  return 0;
}

// Needs: root, a fresh child of the middle process. Leaves: the cgroup created, then removed once
// it has served; exits, never returns.
[[noreturn]] void watcherMain(int parentFd, const std::string& name, const Programs& programs,
                              int lifelineFd, int reportFd, pid_t privbind,
                              const RefusalWords& words) {
  auto fail = [&](const Error& e, bool remove) {
    if (remove) unlinkat(parentFd, name.c_str(), AT_REMOVEDIR);
    report(reportFd, "error " + e.message() + "\n");
    _exit(kExitFailure);
  };
  // Terminal signals (Ctrl-C, hang-up) go to the command, not to the watcher.
  if (setsid() < 0) fail(Error::fromErrno("setsid()", errno), false);
  signal(SIGPIPE, SIG_IGN);

  // 0755 root: the command (another uid) can neither create cgroups below it nor move
  // processes in or out (both need write access, cgroups(7) "Cgroup delegation").
  if (mkdirat(parentFd, name.c_str(), 0755) != 0)
    fail(Error::fromErrno("mkdir(" + name + ")", errno), false);
  // The lock tells removeLeftovers() in other runs that this cgroup is alive. One of them may
  // have taken it, or taken and removed the cgroup, between mkdir and here: then this name is
  // lost ("lost", and startWatcher() tries another one); once the lock is held and the name
  // still leads to the same directory, no other run removes it.
  auto lost = [&] {
    report(reportFd, "lost\n");
    _exit(kExitFailure);
  };
  int lockFd = openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lockFd < 0 && errno == ENOENT) lost();
  if (lockFd < 0) fail(Error::fromErrno("open(" + name + ")", errno), true);
  if (flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) lost();
    fail(Error::fromErrno("flock(" + name + ")", errno), true);
  }
  struct stat held {
  }, named{};
  if (fstat(lockFd, &held) != 0 ||
      fstatat(parentFd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
      held.st_ino != named.st_ino || held.st_dev != named.st_dev)
    lost();
  int eventsFd = openat(lockFd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (eventsFd < 0) fail(Error::fromErrno(name + "/cgroup.events", errno), true);
  auto links = programs.link(lockFd);
  if (!links) fail(links.error().prefix(name), true);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) fail(Error::fromErrno("open(/dev/null)", errno), true);
  // Refusal lines go to privbind's stderr while privbind (the command, after exec in place) lives:
  // a pidfd says when it is gone (pidfd_open(2), Linux 5.3). Without one, or without a stderr,
  // /dev/null stands in: always readable, it ends the lines at once.
  int notice = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
  int command = static_cast<int>(syscall(SYS_pidfd_open, privbind, 0));
  if (notice < 0 || command < 0) {
    if (notice >= 0) UniqueFd(notice).reset();
    if (command >= 0) UniqueFd(command).reset();
    notice = fcntl(null, F_DUPFD_CLOEXEC, 0);
    command = fcntl(null, F_DUPFD_CLOEXEC, 0);
  }
  int refusals = fcntl(programs.refusalsFd(), F_DUPFD_CLOEXEC, 0);
  if (notice < 0 || command < 0 || refusals < 0)
    fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);

  // Its descriptors at fixed numbers, all others closed: it must not keep the command's pipes
  // (a caller waiting for EOF on the command's stdout would wait for the watcher too; the copy of
  // stderr goes when privbind's pid does), nor the programs' own descriptors.
  std::vector<int> keep = {parentFd, lockFd,   eventsFd, lifelineFd,
                           reportFd, refusals, notice,   command};
  for (const auto& l : *links) keep.push_back(l.get());
  std::vector<int> high;
  for (int fd : keep) {
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 64);
    if (h < 0) fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);
    high.push_back(h);
  }
  int highNull = fcntl(null, F_DUPFD_CLOEXEC, 64);
  if (highNull < 0) fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);
  for (int fd = 0; fd <= 2; ++fd)
    if (!moveTo(highNull, fd)) fail(Error::fromErrno("dup2(/dev/null)", errno), true);
  for (size_t i = 0; i < high.size(); ++i)
    if (!moveTo(high[i], kParentFd + static_cast<int>(i)))
      fail(Error::fromErrno("dup2()", errno), true);
  parentFd = kParentFd;
  reportFd = kReportFd;
  const int firstFree = kFirstLinkFd + static_cast<int>(links->size());
  for (auto& l : *links) l.release();  // now at kFirstLinkFd...; the originals go below
  if (syscall(SYS_close_range, firstFree, ~0U, 0) != 0)
    for (int fd = firstFree; fd < 1024; ++fd) UniqueFd(fd).reset();
  // The ring buffer mapped now (libbpf: mmap, and an epoll descriptor the loop does not use); it
  // is then read from memory alone (ring_buffer__consume). Without it, no refusal lines.
  ring_buffer* ring =
      ring_buffer__new(kRefusalsFd, onRefusal, const_cast<RefusalWords*>(&words), nullptr);

  // No capability in any set, empty bounding set, no supplementary group, no_new_privs; uid 0
  // stays, because removing the cgroup needs write access to the root-owned parent directory,
  // which its owner has by the permission bits alone (path_resolution(7)) when they say so.
  // Where they do not (a cgroup2 mount whose root is 0555, as some hybrid hosts mount it), the
  // watcher keeps CAP_DAC_OVERRIDE in its permitted and effective sets only, and the seccomp
  // filter below leaves it one use: unlinkat of a directory in that parent. Not dumpable: no
  // one but root with CAP_SYS_PTRACE can attach to it or read its memory.
  privdrop::Plan plan;
  plan.target.user.uid = 0;
  plan.target.gid = 0;
  plan.keep = ownerMayWrite(kParentFd) ? 0 : caps::bit(CAP_DAC_OVERRIDE);
  plan.ambient = false;
  plan.noNewPrivs = true;
  auto checked = privdrop::checkPreconditions(std::move(plan));
  if (!checked) fail(checked.error(), true);
  // A failed drop ends the watcher at that point with its error on the report pipe, which
  // privbind reads as a refusal; the empty cgroup it leaves is removed by the next run.
  privdrop::drop(*checked, reportFd);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(Error::fromErrno("prctl(PR_SET_DUMPABLE, 0)", errno), true);
  // "ok" first (write is not in the allowlist), then the filter; the report pipe closes only
  // after it is in place, and a failure after "ok" still reaches privbind, which then refuses.
  report(reportFd, "ok " + std::to_string(getpid()) + "\n");
  if (auto s = installSeccomp(); !s) fail(s.error(), true);
  UniqueFd(reportFd).reset();

  // 1. Wait for the lifeline to close: privbind has moved into the cgroup and exec'd, or it
  //    died on the way (then the cgroup is empty and goes at once).
  // 2. Then wait for the cgroup to be empty: the kernel signals a change of cgroup.events with
  //    POLLPRI (cgroups(7), "Cgroups v2 cgroup.events file").
  // All along, until privbind's pid is gone, the refusals the programs report become lines on its
  // stderr; then the watcher lets go of that stderr (a caller reading it to its end must not wait
  // for the watcher).
  bool lifeline = true;
  bool notices = ring != nullptr;
  auto endNotices = [&] {
    if (notices) ring_buffer__consume(ring);
    notices = false;
    UniqueFd(kNoticeFd).reset();
    UniqueFd(kCommandFd).reset();
  };
  if (!notices) endNotices();
  for (;;) {
    int p = 1;
    if (!lifeline && (p = populated(kEventsFd)) == 0) break;
    pollfd fds[] = {
        {lifeline ? kLifelineFd : -1, POLLIN, 0},
        {lifeline ? -1 : kEventsFd, POLLPRI, 0},
        {notices ? kRefusalsFd : -1, POLLIN, 0},
        {notices ? kCommandFd : -1, POLLIN, 0},
    };
    // A timeout too once the lifeline is gone, in case an event is missed: the cgroup is gone at
    // most 1 s after it emptied.
    const int timeout = lifeline ? -1 : p < 0 ? 100 : 1000;
    if (poll(fds, 4, timeout) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) {
      char buf[64];
      ssize_t n = read(kLifelineFd, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        lifeline = false;
        UniqueFd(kLifelineFd).reset();
      }
    }
    if (fds[2].revents) ring_buffer__consume(ring);
    if (fds[3].revents) endNotices();
  }
  // 3. Remove it, then exit, which closes the links and detaches the programs. EBUSY: root
  //    moved a process in again; keep watching.
  while (unlinkat(kParentFd, name.c_str(), AT_REMOVEDIR) != 0 && errno == EBUSY) {
    pollfd pfd{kEventsFd, POLLPRI, 0};
    poll(&pfd, 1, 1000);
  }
  _exit(0);
}

}  // namespace

namespace {

// One attempt with one name; an empty pid and no error means the name was lost to another run.
Result<Watcher> startOnce(int parentDirFd, const std::string& name, const Programs& programs,
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
      watcherMain(parentDirFd, name, programs, lifeRead.get(), repWrite.get(), privbind, words);
    if (w < 0)
      report(repWrite.get(), "error " + Error::fromErrno("fork()", errno).message() + "\n");
    _exit(w < 0 ? kExitFailure : kExitOk);
  }
  lifeRead.reset();
  repWrite.reset();
  int ws = 0;
  if (retryEintr([&] { return waitpid(middle, &ws, 0); }) != middle)
    return Error::fromErrno("waitpid(" + std::to_string(middle) + ")", errno);

  startup::Report r = startup::read(repRead.get());
  if (r.ready) return Watcher{*r.ready, std::move(lifeWrite), name};
  if (r.message == "lost") return Watcher{};
  return Error::refuse("starting the cgroup watcher", r.message);
}

}  // namespace

Result<Watcher> startWatcher(int parentDirFd, const Programs& programs, const RefusalWords& words) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    uint64_t random = 0;
    if (getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
      return Error::fromErrno("getrandom(8)", errno);
    auto w = startOnce(parentDirFd, cgroupName(getpid(), random), programs, words);
    if (!w || w->pid > 0) return w;
  }
  return Error::refuse("creating the cgroup", "other privbind runs removed it 4 times in a row");
}

std::vector<std::string> removeLeftovers(int parentDirFd) {
  std::vector<std::string> removed;
  int dup = fcntl(parentDirFd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return removed;
  DIR* dir = fdopendir(dup);
  if (!dir) {
    UniqueFd closer(dup);
    return removed;
  }
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (!isCgroupName(name)) continue;
    UniqueFd fd(openat(parentDirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) continue;
    // A live watcher holds the lock for as long as it lives (a watcher that has not taken it
    // yet gives up this name when it finds it taken or gone).
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    UniqueFd events(openat(fd.get(), "cgroup.events", O_RDONLY | O_CLOEXEC));
    if (!events || populated(events.get()) != 0) continue;
    if (unlinkat(parentDirFd, name.c_str(), AT_REMOVEDIR) == 0) removed.push_back(name);
  }
  closedir(dir);
  return removed;
}

}  // namespace privbind::cgroupmode
