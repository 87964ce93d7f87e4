#include "modes/cgroup/cgroup_mode.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "bpf/grants_programs.h"
#include "common/bind_trace.h"
#include "common/cgroup_access.h"
#include "common/files.h"
#include "common/launch_pipeline.h"
#include "common/unique_fd.h"
#include "modes/cgroup/hierarchy.h"
#include "modes/cgroup/init.h"
#include "modes/cgroup/leftovers.h"
#include "modes/cgroup/own_cgroup.h"
#include "modes/cgroup/programs.h"
#include "modes/cgroup/watcher_start.h"

namespace privbind::cgroupmode {

namespace {

struct Host {
  std::string parentPath;    // privbind's own cgroup v2 path ("/" or "/system.slice/x.service")
  std::string parentDir;     // its directory, e.g. /sys/fs/cgroup/unified/system.slice/x.service
  unsigned portStart = 0;    // of this network namespace
  uint64_t netnsCookie = 0;  // of this network namespace: the only one the grant applies in
};

Result<Host> checkHost() {
  Host host;
  // The program sees uids as the initial user namespace does (bpf_get_current_uid_gid()).
  auto uidMap = files::readFile("/proc/self/uid_map");
  if (!uidMap) return uidMap.error();
  if (!isIdentityUidMap(*uidMap))
    return Error::refuse("user namespace",
                         "privbind runs in a user namespace that maps uids; "
                         "the BPF program would see other uids than it checks");
  auto cg = files::readFile("/proc/self/cgroup");
  if (!cg) return cg.error();
  auto path = parseV2Path(*cg);
  if (!path) return path.error();
  auto mi = files::readFile("/proc/self/mountinfo");
  if (!mi) return mi.error();
  auto mount = findCgroup2Mount(*mi, *path);
  if (!mount) return mount.error();
  if (mount->readOnly)
    return Error::refuse("cgroup v2 at " + mount->mountPoint, "mounted read-only");
  auto dir = cgroupDirectory(*mount, *path);
  if (!dir) return dir.error();
  // access(2) with W_OK: EROFS for a read-only mount, EACCES for a directory root cannot write
  // (mode 0555 without CAP_DAC_OVERRIDE); the refusal says what is missing.
  if (access(dir->c_str(), W_OK) != 0) return cgroupaccess::cannotCreateIn(*dir, errno);
  // The program grants exactly the ports below net.ipv4.ip_unprivileged_port_start: read, and
  // refused when unreadable rather than guessed.
  auto start = files::readUnprivilegedPortStart();
  if (!start) return start.error();
  // The grant is kept to this network namespace (bind.bpf.c's allowed_elsewhere()).
  auto cookie = bpf::ownNetnsCookie();
  if (!cookie) return cookie.error();
  host.netnsCookie = *cookie;
  host.parentPath = *path;
  host.parentDir = *dir;
  host.portStart = *start;
  return host;
}

}  // namespace

Status probe() {
  auto host = checkHost();
  if (!host) return host.error();
  Policy policy;
  policy.uid = 65534;
  policy.unprivilegedStart = host->portStart;
  policy.netnsCookie = host->netnsCookie;
  // A probe pins nothing: the pinned set when it is in order, else a load that goes with it.
  auto programs = Programs::obtain(policy, false);
  if (!programs) return programs.error();
  return {};
}

namespace {

// cgroup mode's part of the launch: the host checked and the programs loaded before the command
// is resolved, the watcher started before the command's environment and -v, its report read
// (and pid 1's init forked) after them, and the command's process in the cgroup after the
// terminal relay is forked, so that the relay stays outside it and is never granted anything.
// Where privbind forks the command's process anyway (the relay's child, pid 1's child), the
// child is born in the cgroup (clone3(2) with CLONE_INTO_CGROUP); otherwise privbind moves
// itself in.
class CgroupHooks final : public launch::Hooks {
 public:
  explicit CgroupHooks(const LaunchOptions& options) : options_(options) {}

  // The command keeps no capability at all; its bounding set is emptied. The privilege is in
  // the cgroup, not in the process.
  privdrop::Plan commandPlan(const ids::Target& target, bool noNewPrivs) const override {
    return {.target = target, .keep = 0, .ambient = false, .noNewPrivs = noNewPrivs};
  }

  // Until privbind has entered the cgroup, a failure of the host means "this host cannot":
  // nothing done so far outlives privbind (the watcher removes the cgroup when the lifeline
  // closes). Such failures are Unavailable; the rest are final.
  launch::Step prepareHost(const ids::Target& target) override {
    // 1. The host: cgroup v2, privbind's cgroup directory, the reserved range.
    auto host = checkHost();
    if (!host) return cannot(host.error());
    host_ = std::move(*host);

    // 2. The programs: the pinned set, checked, or loaded (and pinned for the next runs). An old
    //    kernel's verifier rejects the return value 3 here; without CAP_BPF the kernel says
    //    EPERM. This run's policy is written when privbind links them (prepare()).
    Policy policy;
    policy.uid = target.user.uid;
    policy.unprivilegedStart = host_.portStart;
    policy.netnsCookie = host_.netnsCookie;
    policy.ports = options_.ports;
    policy.reuseport = options_.reuseport;
    policy.binds = options_.binds;
    policy.maxBound = options_.maxBound;
    policy.traceBinds = options_.traceBinds;
    auto programs = Programs::obtain(policy);
    if (!programs) return cannot(programs.error());
    programs_.emplace(std::move(*programs));

    // Steps 3 and 4 come before the command is resolved, so that the watcher's set-up runs
    // beside the command search too. All of it goes with privbind: a command that is not found
    // (not found in broker mode either: no fallback) ends privbind, which closes the lifeline,
    // and the watcher removes the empty cgroup.
    // 3. The parent directory; cgroups left by a watcher that was killed go first.
    parent_ = UniqueFd(open(host_.parentDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent_) return cannot(Error::fromErrno("open(" + host_.parentDir + ")", errno));
    for (const auto& old : removeLeftovers(parent_.get()))
      if (options_.verbose)
        std::fprintf(stderr,
                     "privbind: cgroup mode: removed %s/%s, left by a watcher that was "
                     "killed\n",
                     host_.parentDir.c_str(), old.c_str());

    // 4. The cgroup, made, opened and locked by privbind itself; the programs linked to it
    //    through that descriptor, with this run's policy; then the watcher, which inherits and
    //    holds the links and removes the cgroup once it is empty. A directory replaced under
    //    privbind's hands is final whatever the mode: it says someone may write the parent cgroup
    //    and is using it, not that this host cannot.
    bool replaced = false;
    auto own = createOwnCgroup(parent_.get(), host_.parentDir, &replaced);
    if (!own) {
      if (replaced) return own.error();
      return cannot(own.error());
    }
    own_ = std::move(*own);
    const RefusalWords words{
        ports::refusalReason(ports::Refusal::kNotInPorts, options_.ports, options_.binds),
        ports::refusalReason(ports::Refusal::kBindsUsedUp, options_.ports, options_.binds),
        options_.maxBound ? bindtrace::boundAtOnceReason(*options_.maxBound) : ""};
    //    Linked to the directory privbind made, whatever the name leads to now (a removed
    //    cgroup cannot be linked to: the link fails). A link the kernel refuses is this host's.
    //    With -p, -n, --max-bound or --trace-binds, a ring buffer for the reports first.
    std::optional<Programs::Ring> ring;
    if (programs_->reportsRefusals()) {
      auto claimed = programs_->claimRing();
      if (!claimed) return watcherFailed(claimed.error());
      ring.emplace(std::move(*claimed));
    }
    auto links = programs_->link(own_.fd.get(), own_.ino, ring ? &*ring : nullptr);
    if (!links) return watcherFailed(links.error().prefix(own_.name));
    //    The watcher's set-up runs while privbind goes on; beforeExec() reads its report. Once it
    //    is forked it holds the links: privbind's copies go (the grant lives as long as the
    //    watcher, not as long as privbind's own process).
    auto watcher =
        startWatcher(parent_.get(), own_, *programs_, *links, ring ? &*ring : nullptr, words);
    links->clear();
    ring.reset();
    if (!watcher) return watcherFailed(watcher.error());
    watcher_ = std::move(*watcher);
    dir_ = host_.parentDir + (host_.parentDir.ends_with('/') ? "" : "/") + own_.name;
    path_ = host_.parentPath + (host_.parentPath.ends_with('/') ? "" : "/") + own_.name;
    return {};
  }

  void banner(const privdrop::CheckedPlan& command) const override {
    const ids::Target& target = command.target();
    if (options_.mode == Mode::kAuto)
      std::fputs(
          "privbind: auto: cgroup mode, because this host loaded and linked the bind "
          "programs\n",
          stderr);
    std::fprintf(stderr,
                 "privbind: cgroup mode: cgroup %s, %s linked "
                 "(held by watcher pid %d); grants ports below %u to uid %u%s; command as uid %u "
                 "gid %u, %zu groups, no capability%s\n",
                 dir_.c_str(), programs_->names().c_str(), static_cast<int>(watcher_.pid),
                 host_.portStart, target.user.uid,
                 programs_->exactErrno() || !(options_.binds || options_.maxBound)
                     ? ""
                     : " (refused binds past -n or --max-bound get EPERM on this kernel)",
                 target.user.uid, target.gid, target.groups.size(),
                 command.plan().noNewPrivs ? ", no_new_privs" : "");
    switch (programs_->origin()) {
      case Programs::Origin::kPinned:
        std::fprintf(stderr, "privbind: cgroup mode: programs: the pinned set %s\n",
                     launchPinDir().c_str());
        break;
      case Programs::Origin::kLoadedAndPinned:
        std::fprintf(stderr, "privbind: cgroup mode: programs: loaded and pinned as %s (%s)\n",
                     launchPinDir().c_str(), programs_->originDetail().c_str());
        break;
      case Programs::Origin::kLoaded:
        std::fprintf(stderr, "privbind: cgroup mode: programs: loaded for this run only (%s)\n",
                     programs_->originDetail().c_str());
        break;
    }
    std::fprintf(stderr, "privbind: limits: %s\n", launch::limitsText(options_).c_str());
  }

  launch::Step beforeCommand(const ids::Target& target, bool relay) override {
    // 5. As process 1 of its pid namespace, privbind stays as the namespace's init, outside the
    //    cgroup and unprivileged, and goes on in a child: the kernel kills every other process of
    //    the namespace when its process 1 exits (pid_namespaces(7)), and the watcher must outlive
    //    the command. init never returns from here. Before the terminal relay; without one, the
    //    child is the command's process and is born in the cgroup.
    relay_ = relay;
    if (getpid() == 1) {
      auto born = stayAsInit(target, watcher_.pid, relay ? -1 : own_.fd.get());
      if (!born) return born.error();
      initBorn_ = *born;
    }
    return {};
  }

  // The terminal relay's child, the command's process, is born in the cgroup.
  int commandCgroup() const override { return own_.fd.get(); }

  // 6. The command's process in exactly the cgroup privbind made and the watcher linked
  //    (own_cgroup.h): born there when privbind forked it (the relay's or init's child), moved
  //    there otherwise (privbind itself; or a fork where clone3(2) could not, which -v says), and
  //    checked either way. After the relay is forked (it stays outside). No other mode to fall
  //    back to from here: a failure ends the process (and the relay reports it). The lifeline and
  //    the programs' descriptors are close-on-exec.
  Status afterTerminal(const supervisor::Birth& born) override {
    const supervisor::Birth& made = relay_ ? born : initBorn_;
    if (made.inCgroup) return checkInOwnCgroup(parent_.get(), own_, host_.parentDir, path_);
    if (made.cgroupErr && options_.verbose)
      std::fprintf(stderr,
                   "privbind: cgroup mode: clone3(CLONE_INTO_CGROUP): %s; the command's process "
                   "moves into the cgroup instead\n",
                   std::strerror(made.cgroupErr));
    return enterOwnCgroup(parent_.get(), own_, host_.parentDir, path_);
  }

  // 7. The watcher's report, as late as can be: right before exec, as the target, so that its
  //    set-up (fork, drop, seccomp) runs beside all of privbind's own work. The programs were
  //    linked by privbind before it started, so what can still fail there is the watcher's own
  //    set-up: final, and the command does not run (a watcher that failed ends the links with
  //    it; the cgroup it could not remove while privbind was in it goes with the next run).
  Status beforeExec() override { return awaitWatcher(watcher_); }

 private:
  static launch::Unavailable cannot(const Error& e) { return {"cgroup mode", e.message()}; }

  // The watcher could not start or set up: the cgroup is removed (if its name still leads to
  // it) and another mode may run, unless the cgroup was removed by someone else meanwhile, which
  // says someone may write the parent cgroup and is using it: final.
  launch::Step watcherFailed(const Error& e) {
    if (!sameDirectory(parent_.get(), own_.name.c_str(), own_.dev, own_.ino))
      return removedBeforeEntry(parent_.get(), host_.parentDir, own_.name);
    removeOwnCgroup(parent_.get(), own_);
    return cannot(e);
  }

  const LaunchOptions& options_;
  Host host_;
  std::optional<Programs> programs_;
  UniqueFd parent_;
  OwnCgroup own_;
  Watcher watcher_;
  std::string dir_, path_;
  bool relay_ = false;
  supervisor::Birth initBorn_;  // pid 1's child, when it is the command's process
};

}  // namespace

launch::Failure run(const LaunchOptions& options) {
  CgroupHooks hooks(options);
  return launch::run(options, hooks);
}

}  // namespace privbind::cgroupmode
