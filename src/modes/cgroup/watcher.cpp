#include "modes/cgroup/watcher.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "common/caps.h"
#include "common/ports.h"
#include "common/privdrop.h"
#include "modes/cgroup/bind_records.h"
#include "modes/cgroup/watcher_layout.h"

namespace privbind::cgroupmode {

namespace {

// bind.bpf.c's struct refusal and its reasons.
struct RefusalRecord {
  uint16_t port;
  uint8_t protocol;
  uint8_t reason;
};
constexpr uint8_t kRefusedPorts = 1;
constexpr uint8_t kRefusedBinds = 2;

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
// While set, records are what an earlier run left in the slot's ring buffer: dropped unread.
bool discarding = false;

int onRefusal(void* ctx, void* data, size_t size) {
  if (discarding || size < sizeof(RefusalRecord)) return 0;
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

}  // namespace

// Its loop: wait (poll), read the lifeline and cgroup.events (read, pread64), say refusals on
// privbind's stderr (write, only to kNoticeFd; the ring buffer is read from memory mapped before),
// look up the cgroup's name (newfstatat, only relative to kParentFd, which is how glibc's fstatat
// reaches the kernel on both architectures), remove the cgroup (unlinkat, only relative to
// kParentFd and only with AT_REMOVEDIR), exit. No open, no other write, no exec, no socket, no
// kill, no ptrace: a watcher that is uid 0 could otherwise still open root-owned files by their
// permission bits.
const seccomp::Allowlist& watcherSeccompAllowlist() {
  // unlinkat(kParentFd, name, AT_REMOVEDIR) and no other. A relative name cannot leave the
  // parent cgroup directory: it has no links and no "..", and the name is privbind's own.
  // fstatat(kParentFd, name, AT_SYMLINK_NOFOLLOW): whether the name still leads to the cgroup.
  static const seccomp::Allowlist list = {
      {
#ifdef SYS_poll
          SYS_poll,
#endif
          SYS_ppoll,
          SYS_read,
          SYS_pread64,
          SYS_lseek,
          SYS_close,
          SYS_exit,
          SYS_exit_group,
          SYS_rt_sigreturn,
          SYS_restart_syscall,
      },
      {{SYS_unlinkat, {{0, kParentFd}, {2, AT_REMOVEDIR}}},
       {SYS_newfstatat, {{0, kParentFd}, {3, AT_SYMLINK_NOFOLLOW}}},
       {SYS_write, {{0, kNoticeFd}}}},
  };
  return list;
}

[[noreturn]] void watcherMain(const WatcherSetup& setup) {
  const OwnCgroup& cgroup = *setup.cgroup;
  const std::string& name = cgroup.name;
  int parentFd = setup.parentFd;
  int reportFd = setup.reportFd;
  // Whether the cgroup's name still leads to the directory privbind made: before every removal,
  // so that a directory someone else made under the name is never removed.
  auto stillOurs = [&] { return sameDirectory(parentFd, name.c_str(), cgroup.dev, cgroup.ino); };
  auto fail = [&](const Error& e, bool remove) {
    if (remove && stillOurs()) unlinkat(parentFd, name.c_str(), AT_REMOVEDIR);
    report(reportFd, "error " + e.message() + "\n");
    _exit(kExitFailure);
  };
  // Terminal signals (Ctrl-C, hang-up) go to the command, not to the watcher.
  if (setsid() < 0) fail(Error::fromErrno("setsid()", errno), false);
  signal(SIGPIPE, SIG_IGN);

  // Its own copy of the cgroup's descriptor: the flock(2) privbind took is on the open file
  // description, so it lasts as long as this copy does.
  int lockFd = fcntl(cgroup.fd.get(), F_DUPFD_CLOEXEC, 0);
  if (lockFd < 0) fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);
  int eventsFd = openat(lockFd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (eventsFd < 0) fail(Error::fromErrno(name + "/cgroup.events", errno), true);
  // The links privbind made through the descriptor it holds, inherited: the grant lasts as long
  // as this process holds them.
  const std::vector<UniqueFd>* links = setup.links;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) fail(Error::fromErrno("open(/dev/null)", errno), true);
  // Refusal lines go to privbind's stderr while privbind (the command, after exec in place) lives:
  // a pidfd says when it is gone (pidfd_open(2), Linux 5.3). Without one, or without a stderr,
  // /dev/null stands in: always readable, it ends the lines at once.
  // Without -p and -n the programs refuse nothing: no lines, so none of this is set up.
  const bool reports = setup.programs->reportsRefusals();
  int notice = reports ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0) : -1;
  int command = reports ? static_cast<int>(syscall(SYS_pidfd_open, setup.privbind, 0)) : -1;
  if (notice < 0 || command < 0) {
    if (notice >= 0) UniqueFd(notice).reset();
    if (command >= 0) UniqueFd(command).reset();
    notice = fcntl(null, F_DUPFD_CLOEXEC, 0);
    command = fcntl(null, F_DUPFD_CLOEXEC, 0);
  }
  // The launch's own ring buffer (privbind made it and entered it where the programs find it).
  int refusals = fcntl(reports ? setup.ringFd : null, F_DUPFD_CLOEXEC, 0);
  int ringLock = fcntl(reports ? setup.ringLockFd : null, F_DUPFD_CLOEXEC, 0);
  if (notice < 0 || command < 0 || refusals < 0 || ringLock < 0)
    fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);

  // Its descriptors at the numbers of watcher_layout.h, all others closed: it must not keep the
  // command's pipes (a caller waiting for EOF on the command's stdout would wait for the watcher
  // too; the copy of stderr goes when privbind's pid does), nor the programs' own descriptors,
  // nor privbind's copy of the cgroup's.
  std::vector<std::pair<int, int>> keep = {{parentFd, kParentFd},  {lockFd, kLockFd},
                                           {eventsFd, kEventsFd},  {setup.lifelineFd, kLifelineFd},
                                           {reportFd, kReportFd},  {refusals, kRefusalsFd},
                                           {notice, kNoticeFd},    {command, kCommandFd},
                                           {ringLock, kRingLockFd}};
  for (size_t i = 0; i < links->size(); ++i)
    keep.emplace_back((*links)[i].get(), kFirstLinkFd + static_cast<int>(i));
  // Everything first above the layout, then down to its number: no move overwrites another.
  std::vector<std::pair<int, int>> high;
  for (auto [fd, to] : keep) {
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 64);
    if (h < 0) fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);
    high.emplace_back(h, to);
  }
  int highNull = fcntl(null, F_DUPFD_CLOEXEC, 64);
  if (highNull < 0) fail(Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno), true);
  for (int fd = 0; fd <= 2; ++fd)
    if (!moveTo(highNull, fd)) fail(Error::fromErrno("dup2(/dev/null)", errno), true);
  for (auto [h, to] : high)
    if (!moveTo(h, to)) fail(Error::fromErrno("dup2()", errno), true);
  parentFd = kParentFd;
  reportFd = kReportFd;
  const int firstFree = kFirstLinkFd + static_cast<int>(links->size());
  // The links are now at kFirstLinkFd...; the inherited originals are closed below (this copy
  // of privbind's memory ends in _exit, so their UniqueFds never close them twice).
  if (syscall(SYS_close_range, firstFree, ~0U, 0) != 0)
    for (int fd = firstFree; fd < 1024; ++fd) UniqueFd(fd).reset();
  // The ring buffer mapped now (libbpf: mmap, and an epoll descriptor the loop does not use); it
  // is then read from memory alone (ring_buffer__consume). Without it, no refusal lines.
  ring_buffer* ring = reports ? ring_buffer__new(kRefusalsFd, onRefusal,
                                                 const_cast<RefusalWords*>(setup.words), nullptr)
                              : nullptr;
  // The slot's ring buffer serves run after run: what an earlier one left in it is not this
  // run's (no process is in this cgroup yet, so nothing in it is).
  if (ring) {
    discarding = true;
    ring_buffer__consume(ring);
    discarding = false;
  }

  // No capability in any set, empty bounding set, no supplementary group, no_new_privs; uid 0
  // stays, because removing the cgroup needs write access to the root-owned parent directory,
  // which its owner has by the permission bits alone (path_resolution(7)) when they say so.
  // Where they do not (a cgroup2 mount whose root is 0555, as some hybrid hosts mount it, or a
  // parent owned by another user), the watcher keeps CAP_DAC_OVERRIDE in its permitted and
  // effective sets only, and the seccomp filter below leaves it one use: unlinkat of a directory
  // in that parent. Not dumpable: no one but root with CAP_SYS_PTRACE can attach to it or read
  // its memory.
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
  if (auto s = seccomp::install(watcherSeccompAllowlist()); !s) fail(s.error(), true);
  UniqueFd(reportFd).reset();

  // 1. Wait for the lifeline to close: privbind has moved into the cgroup and exec'd, or it
  //    died on the way (then the cgroup is empty and goes at once).
  // 2. Then wait for the cgroup to be empty: the kernel signals a change of cgroup.events with
  //    POLLPRI (cgroups(7), "Cgroups v2 cgroup.events file"). A cgroup.events that cannot be
  //    read means the cgroup is gone (removed by someone else: root, a service manager, the
  //    parent's owner): the kernel then reports POLLERR at once on every poll, so the watcher
  //    must not poll it again. It ends, which releases the links at once.
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
    if (!lifeline && populated(kEventsFd) != 1) break;
    pollfd fds[] = {
        {lifeline ? kLifelineFd : -1, POLLIN, 0},
        {lifeline ? -1 : kEventsFd, POLLPRI, 0},
        {notices ? kRefusalsFd : -1, POLLIN, 0},
        {notices ? kCommandFd : -1, POLLIN, 0},
    };
    // A timeout too once the lifeline is gone, in case an event is missed: the cgroup is gone at
    // most 1 s after it emptied.
    if (poll(fds, 4, lifeline ? -1 : 1000) < 0) {
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
  if (notices) ring_buffer__consume(ring);
  // 3. Remove it if its name still leads to it, then exit, which closes the links and detaches
  //    the programs. EBUSY while a process is in it again (root moved one in): keep watching,
  //    woken by POLLPRI or once a second. Empty but EBUSY (a child cgroup root made), unreadable
  //    or no longer under its name: exit now.
  while (stillOurs() && unlinkat(kParentFd, name.c_str(), AT_REMOVEDIR) != 0 && errno == EBUSY &&
         populated(kEventsFd) == 1) {
    pollfd pfd{kEventsFd, POLLPRI, 0};
    poll(&pfd, 1, 1000);
  }
  _exit(0);
}

}  // namespace privbind::cgroupmode
