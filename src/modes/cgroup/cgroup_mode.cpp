#include "modes/cgroup/cgroup_mode.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "common/bind_trace.h"
#include "common/cgroup_access.h"
#include "common/files.h"
#include "common/launch.h"
#include "common/privdrop.h"
#include "common/terminal.h"
#include "common/unique_fd.h"
#include "modes/cgroup/hierarchy.h"
#include "modes/cgroup/init.h"
#include "modes/cgroup/programs.h"
#include "modes/cgroup/watcher.h"

namespace privbind::cgroupmode {

namespace {

struct Host {
  std::string parentPath;  // privbind's own cgroup v2 path ("/" or "/system.slice/x.service")
  std::string parentDir;   // its directory, e.g. /sys/fs/cgroup/unified/system.slice/x.service
  unsigned portStart = 0;  // of this network namespace
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
  host.parentPath = *path;
  host.parentDir = *dir;
  host.portStart = *start;
  return host;
}

// Moves this process into the cgroup (cgroup.procs, cgroups(7)) and checks that the kernel
// says so.
Status enter(int cgroupFd, const std::string& expectedPath) {
  UniqueFd procs(openat(cgroupFd, "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!procs) return Error::fromErrno("open(cgroup.procs)", errno);
  std::string pid = std::to_string(getpid()) + "\n";
  if (retryEintr([&] { return ::write(procs.get(), pid.data(), pid.size()); }) !=
      static_cast<ssize_t>(pid.size()))
    return Error::fromErrno("write(cgroup.procs, " + std::to_string(getpid()) + ")", errno);
  auto cg = files::readFile("/proc/self/cgroup");
  if (!cg) return cg.error();
  auto now = parseV2Path(*cg);
  if (!now) return now.error();
  if (*now != expectedPath)
    return Error::refuse("entering the cgroup",
                         "/proc/self/cgroup says " + *now + ", expected " + expectedPath);
  return {};
}

}  // namespace

Status probe() {
  auto host = checkHost();
  if (!host) return host.error();
  Policy policy;
  policy.uid = 65534;
  policy.unprivilegedStart = host->portStart;
  auto programs = Programs::load(policy);
  if (!programs) return programs.error();
  return {};
}

Error run(const LaunchOptions& options, std::string* unavailable) {
  // Before anything else, the checks every mode makes: the target and privbind's privileges.
  auto target = ids::resolveTarget(options.user, options.group, options.noGroups);
  if (!target) return target.error();
  // The command keeps no capability at all; its bounding set is emptied. The privilege is in
  // the cgroup, not in the process.
  auto command = privdrop::checkPreconditions(
      {.target = *target, .keep = 0, .ambient = false, .noNewPrivs = !options.allowSetuid});
  if (!command) return command.error();

  // Until privbind has entered the cgroup, a failure means "this host cannot": nothing done so
  // far outlives privbind (the watcher removes the cgroup when the lifeline closes).
  auto cannot = [&](const Error& e) {
    if (unavailable) *unavailable = e.message();
    return Error::refuse("cgroup mode", e.message());
  };

  // 1. The host: cgroup v2, privbind's cgroup directory, the reserved range.
  auto host = checkHost();
  if (!host) return cannot(host.error());

  // 2. The probe: load the programs with this run's policy. An old kernel's verifier rejects
  //    the return value 3 here; without CAP_BPF the kernel says EPERM.
  Policy policy;
  policy.uid = target->user.uid;
  policy.unprivilegedStart = host->portStart;
  policy.ports = options.ports;
  policy.reuseport = options.reuseport;
  policy.binds = options.binds;
  policy.maxBound = options.maxBound;
  policy.traceBinds = options.traceBinds;
  auto programs = Programs::load(policy);
  if (!programs) return cannot(programs.error());

  // The one file that runs, found as the target would find it; -v and exec use it. Not a
  // matter of this host: a command that is not found is not found in broker mode either.
  auto resolved = launch::resolveCommand(options.command[0], *target);
  if (!resolved) return resolved.error();

  // 3. The parent directory; cgroups left by a watcher that was killed go first.
  UniqueFd parent(open(host->parentDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return cannot(Error::fromErrno("open(" + host->parentDir + ")", errno));
  for (const auto& old : removeLeftovers(parent.get()))
    if (options.verbose)
      std::fprintf(stderr,
                   "privbind: cgroup mode: removed %s/%s, left by a watcher that was "
                   "killed\n",
                   host->parentDir.c_str(), old.c_str());

  // 4. The watcher, which creates the cgroup, links the programs to it, holds the links and
  //    removes the cgroup once it is empty.
  const RefusalWords words{
      ports::refusalReason(ports::Refusal::kNotInPorts, options.ports, options.binds),
      ports::refusalReason(ports::Refusal::kBindsUsedUp, options.ports, options.binds),
      options.maxBound ? bindtrace::boundAtOnceReason(*options.maxBound) : ""};
  auto watcher = startWatcher(parent.get(), *programs, words);
  if (!watcher) return cannot(watcher.error());
  const std::string& name = watcher->name;
  const std::string dir = host->parentDir + (host->parentDir.ends_with('/') ? "" : "/") + name;
  const std::string path = host->parentPath + (host->parentPath.ends_with('/') ? "" : "/") + name;

  UniqueFd cgroup(openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return cannot(Error::fromErrno("open(" + dir + ")", errno));

  // 5. As process 1 of its pid namespace, privbind stays as the namespace's init, outside the
  //    cgroup and unprivileged, and goes on in a child: the kernel kills every other process of
  //    the namespace when its process 1 exits (pid_namespaces(7)), and the watcher must outlive
  //    the command. init never returns from here.
  if (getpid() == 1)
    if (auto s = stayAsInit(*target, watcher->pid); !s) return s.error();

  // 6. A terminal on 0-2 gets a pseudo-terminal of its own. The relay is forked here, before
  //    the move, so that it stays outside the cgroup and is never granted anything; it never
  //    returns from here. From here on there is no other mode to fall back to: a failure ends
  //    the process (and the relay reports it).
  if (auto s = terminal::isolate(*target); !s) return s.error();
  auto fatal = [](const Error& e) {
    printError(e);
    _exit(kExitFailure);
  };

  // 7. privbind into the cgroup.
  if (auto s = enter(cgroup.get(), path); !s) fatal(s.error());

  launch::Env env = launch::currentEnvironment();
  if (!options.keepEnv) launch::describeUser(env, target->user);
  if (options.verbose) {
    if (unavailable)
      std::fputs(
          "privbind: auto: cgroup mode, because this host loaded and linked the bind "
          "programs\n",
          stderr);
    std::fprintf(stderr,
                 "privbind: cgroup mode: cgroup %s, bind4/bind6/post_bind4/post_bind6 linked "
                 "(held by watcher pid %d); grants ports below %u to uid %u%s; command as uid %u "
                 "gid %u, %zu groups, no capability%s\n",
                 dir.c_str(), static_cast<int>(watcher->pid), host->portStart, target->user.uid,
                 programs->exactErrno() ? "" : " (refused binds past -n get EPERM on this kernel)",
                 target->user.uid, target->gid, target->groups.size(),
                 command->plan().noNewPrivs ? ", no_new_privs" : "");
    std::fprintf(stderr, "privbind: limits: %s\n", launch::limitsText(options).c_str());
  }
  launch::reportCommand(*resolved, *target, options.verbose);

  // 8. Drop: a failure ends the process at that point. The lifeline and the programs'
  //    descriptors are close-on-exec.
  privdrop::drop(*command);
  return launch::execCommand(*resolved, options.command, env);
}

}  // namespace privbind::cgroupmode
