#include "modes/broker/broker_mode.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "common/caps.h"
#include "common/elf.h"
#include "common/files.h"
#include "common/launch.h"
#include "common/launch_pipeline.h"
#include "common/mode_advice.h"
#include "common/privdrop.h"
#include "common/startup_report.h"
#include "common/text.h"
#include "common/unique_fd.h"
#include "modes/broker/helper.h"
#include "privbind/version.h"
#include "shim/protocol.h"

namespace privbind::broker {

namespace {

// A closed 0, 1 or 2 would be taken by the next descriptor opened here, and the helper's log
// lines (fd 2) would go into a socket. Fill the gaps with /dev/null first.
Status ensureStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    int null = ::open("/dev/null", O_RDWR);  // the lowest free number: fd itself
    if (null < 0) return Error::fromErrno("open(/dev/null)", errno);
    if (null != fd)
      return Error::refuse("standard descriptors", "could not fill in fd " + std::to_string(fd));
  }
  return {};
}

// Programs the preload library cannot reach are refused before anything starts, with the reason
// and the way out: the mode with the least privilege that works on this host (common/mode_advice).
// path is the file that will run (launch::resolveCommand); one that does not exist is left to
// exec, which says why. allowSetuid: --allow-setuid, without which no_new_privs is set.
Status checkTarget(const std::string& command, bool allowSetuid) {
  auto hint = [] {
    return "; " + advice::modeInsteadOfBroker() + " (or --no-target-check to run it anyway)";
  };
  std::string path = command;
  for (int depth = 0; depth < 4; ++depth) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return {};  // exec will say why
    // ld.so(8): in secure-execution mode (a set-user-ID or set-group-ID program that changes
    // ids) LD_PRELOAD is all but ignored. Under no_new_privs, privbind's default, execve(2) does
    // not honour the bits: the program runs as the user, not in secure-execution mode, and the
    // library loads. Only --allow-setuid makes the bit count.
    if (allowSetuid && (st.st_mode & (S_ISUID | S_ISGID)))
      return Error::refuse(path, std::string("is set-user-ID or set-group-ID and --allow-setuid "
                                             "lets the bit count: the loader then ignores the "
                                             "preload library for it") +
                                     hint());
    // A script: what matters is its interpreter ("#!/usr/bin/env python3" -> env, which is
    // dynamic and passes LD_PRELOAD on to python3).
    // The kernel runs the #! program by its path as written, without a PATH search.
    if (auto interp = elf::scriptInterpreter(path); interp.ok()) {
      path = *interp;
      continue;
    }
    auto info = elf::read(path);
    if (!info) {
      return Error::refuse(path, "cannot tell whether the preload library can reach it (" +
                                     info.error().why() + ")" + hint());
    }
    if (info->isGo)
      return Error::refuse(path,
                           "is a Go program: it makes the bind system call itself, so "
                           "the preload library never sees it" +
                               hint());
    if (!info->dynamic)
      return Error::refuse(path,
                           "is statically linked: no dynamic loader runs, so the preload "
                           "library cannot be loaded" +
                               hint());
    return {};
  }
  return Error::refuse(command, "too many nested #! interpreters" + hint());
}

bool isRegularFile(const std::string& path, struct stat& st) {
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A library given with -l runs inside the command. Whoever owns it, or owns or can write any
// directory above it, can swap it (rename(2) needs write permission on the directory only; a
// sticky bit still lets the directory's owner and each entry's owner replace it: inode(7)), so
// the file and every directory up to / must be owned by root and not writable by group or
// others. `path` is already resolved (realpath), so no symbolic link is left to follow.
Status checkRootOwned(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  if (st.st_uid != 0)
    return Error::refuse("preload library " + path,
                         "is owned by uid " + std::to_string(st.st_uid) + ", not root");
  std::string dir = path;
  while (dir.size() > 1) {
    auto slash = dir.find_last_of('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
    if (stat(dir.c_str(), &st) != 0) return Error::fromErrno("stat(" + dir + ")", errno);
    if (st.st_uid != 0)
      return Error::refuse("preload library " + path, "directory " + dir + " is owned by uid " +
                                                          std::to_string(st.st_uid) + ", not root");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
      return Error::refuse("preload library " + path,
                           "directory " + dir + " is writable by group or others" +
                               ((st.st_mode & S_ISVTX) ? " (sticky)" : ""));
  }
  return {};
}

// -l PATH, else next to the running binary (the build tree), else the installed place.
// No environment variable: whoever sets root's environment must not pick the library.
Result<std::string> findShim(const std::string& preload) {
  std::vector<std::string> candidates =
      preload.empty() ? launch::shimCandidates() : std::vector<std::string>{preload};
  std::vector<std::string> tried;
  for (const auto& c : candidates) {
    struct stat st {};
    if (!preload.empty() && !isRegularFile(c, st)) {
      // The library given with -l: say what is wrong with it.
      if (stat(c.c_str(), &st) != 0) return Error::fromErrno("-l/--preload " + c, errno);
      return Error::refuse("-l/--preload " + c, "not a regular file");
    }
    if (!isRegularFile(c, st)) {
      tried.push_back(c);
      continue;
    }
    char real[PATH_MAX];
    if (!realpath(c.c_str(), real)) return Error::fromErrno("realpath(" + c + ")", errno);
    std::string path = real;
    // ld.so splits LD_PRELOAD on spaces and colons (ld.so(8)).
    if (path.find_first_of(" :") != std::string::npos)
      return Error::refuse("preload library " + path, "its path contains a space or a colon");
    // Whoever can write the library runs code as the command's user.
    if (st.st_mode & (S_IWGRP | S_IWOTH))
      return Error::refuse("preload library " + path, "is writable by group or others");
    if (!preload.empty())
      if (auto s = checkRootOwned(path); !s) return s.error();
    return path;
  }
  return Error::refuse("preload library",
                       "not found (tried " + text::join(tried, ", ") + "); give it with -l PATH");
}

// The channel: one AF_UNIX SOCK_SEQPACKET socketpair, no name anywhere. The helper keeps `helper`,
// the command inherits `command`. Nothing outside the command's tree can reach it: there is no
// name to connect to (unix(7)), and another user can neither open /proc/PID/fd of the command's
// processes nor take a descriptor with pidfd_getfd(2) (both need ptrace access). The helper reads
// end-of-file once every copy of the command's end is closed, which makes the channel the lifeline
// too. Both ends close-on-exec; the command's is made inheritable right before exec.
struct Channel {
  UniqueFd helper, command;
};

Result<Channel> makeChannel() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return Error::fromErrno("socketpair(AF_UNIX, SOCK_SEQPACKET)", errno);
  return Channel{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> makePipe(const char* what) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return Error::fromErrno(std::string("pipe2(") + what + ")", errno);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Forks the helper so that it is not the command's child (double fork: the middle process
// exits at once and is reaped here, the helper is reparented to init or a subreaper).
// Returns the helper's pid once it has reported ready; fails closed otherwise.
Result<pid_t> startHelper(Channel& channel, const privdrop::CheckedPlan& plan,
                          const HelperConfig& config) {
  auto status = makePipe("status");
  if (!status) return status.error();
  pid_t middle = fork();
  if (middle < 0) return Error::fromErrno("fork()", errno);
  if (middle == 0) {
    pid_t helper = fork();
    if (helper == 0) helperMain(channel.helper.get(), status->write.get(), plan, config);
    if (helper < 0) {
      std::string msg = "error " + Error::fromErrno("fork()", errno).message() + "\n";
      (void)!::write(status->write.get(), msg.data(), msg.size());
    }
    _exit(helper < 0 ? kExitFailure : kExitOk);
  }
  // Only the helper keeps these.
  channel.helper.reset();
  status->write.reset();
  int ws = 0;
  if (retryEintr([&] { return waitpid(middle, &ws, 0); }) != middle)
    return Error::fromErrno("waitpid(" + std::to_string(middle) + ")", errno);

  startup::Report r = startup::read(status->read.get());
  if (r.ready) return *r.ready;
  return Error::refuse("starting the helper", r.message);
}

std::string padded(int fd) {
  char buf[PRIVBIND_LIFELINE_DIGITS + 1];
  std::snprintf(buf, sizeof buf, "%0*d", PRIVBIND_LIFELINE_DIGITS, fd);
  return buf;
}

// Broker mode's part of the launch: the helper's plan checked with the command's, the target
// program and the shim checked, the channel and the helper started before the command's
// environment names them, and the channel made inheritable as the last step before exec.
class BrokerHooks final : public launch::Hooks {
 public:
  explicit BrokerHooks(const LaunchOptions& options) : options_(options) {}

  // A closed 0, 1 or 2 filled before the first descriptor is opened.
  Status begin() override { return ensureStandardFds(); }

  // The command keeps no capability at all; its bounding set is emptied.
  privdrop::Plan commandPlan(const ids::Target& target, bool noNewPrivs) const override {
    return {.target = target, .keep = 0, .ambient = false, .noNewPrivs = noNewPrivs};
  }

  // The helper: same uid and gid, no supplementary groups (it opens no file), exactly
  // CAP_NET_BIND_SERVICE in permitted and effective (not inheritable, not ambient), bounding
  // set shrunk to it, always no_new_privs.
  launch::Step prepareHost(const ids::Target& target) override {
    privdrop::Plan helperPlan;
    helperPlan.target = target;
    helperPlan.target.groups.clear();
    helperPlan.keep = caps::bit(caps::kNetBindService);
    helperPlan.ambient = false;
    helperPlan.noNewPrivs = true;
    auto helper = privdrop::checkPreconditions(std::move(helperPlan));
    if (!helper) return helper.error();
    helperPlan_.emplace(std::move(*helper));
    return {};
  }

  launch::Step prepare(const ids::Target& target, const launch::Command& command) override {
    target_ = target;
    // Targets the shim cannot reach are refused before anything is started.
    if (!options_.noTargetCheck)
      if (auto s = checkTarget(command.path, options_.allowSetuid); !s) return s.error();

    // The shim.
    auto shim = findShim(options_.preload);
    if (!shim) return shim.error();
    shim_ = std::move(*shim);

    // The channel (which is also the lifeline), the helper.
    auto channel = makeChannel();
    if (!channel) return channel.error();
    channel_ = std::move(*channel);

    HelperConfig config;
    config.policy.uid = target.user.uid;
    config.policy.unprivilegedStart = files::unprivilegedPortStart();
    config.policy.ports = options_.ports;
    config.reuseport = options_.reuseport;
    config.binds = options_.binds;
    config.maxBound = options_.maxBound;
    config.traceBinds = options_.traceBinds;
    config.verbose = options_.verbose;
    config.privbind = getpid();  // exec in place: the command's pid, or the terminal relay's
    auto helperPid = startHelper(channel_, *helperPlan_, config);
    if (!helperPid) return helperPid.error();
    helperPid_ = *helperPid;
    return {};
  }

  // The shim first in LD_PRELOAD, anything already there kept; the channel's number.
  void environment(launch::Env& env) override {
    std::string preload = shim_;
    if (const std::string* old = launch::getVar(env, "LD_PRELOAD")) {
      std::string rest = old->substr(std::strlen("LD_PRELOAD="));
      if (!rest.empty()) preload += ":" + rest;
    }
    launch::setVar(env, "LD_PRELOAD", preload);
    launch::setVar(env, PRIVBIND_ENV_LIFELINE, padded(channel_.command.get()));
  }

  void banner(const privdrop::CheckedPlan& command) const override {
    const ids::Target& target = command.target();
    std::fprintf(stderr,
                 "privbind: broker mode: helper pid %d, channel on fd %d; command as uid %u gid "
                 "%u, %zu groups, no capability%s, preloading %s\n",
                 static_cast<int>(helperPid_), channel_.command.get(), target.user.uid, target.gid,
                 target.groups.size(), command.plan().noNewPrivs ? ", no_new_privs" : "",
                 shim_.c_str());
    std::fprintf(stderr, "privbind: limits: %s\n", launch::limitsText(options_).c_str());
  }

  // The relay closes the channel and never returns; a failed drop ends the process, and its
  // exit closes the channel, so the helper follows.
  Status beforeExec() override {
    // The loader reads the shim as the target user; a library it cannot read would be skipped
    // with a warning and every privileged bind would fail. access(2) checks the real uid: now
    // the target's.
    if (access(shim_.c_str(), R_OK) != 0)
      return Error::fromErrno(
          "preload library " + shim_ + " (as uid " + std::to_string(target_.user.uid) + ")", errno);
    // The channel is the one descriptor the command inherits: made inheritable right before
    // exec.
    if (fcntl(channel_.command.get(), F_SETFD, 0) != 0)
      return Error::fromErrno("fcntl(channel, F_SETFD, 0)", errno);
    return {};
  }

 private:
  const LaunchOptions& options_;
  std::optional<privdrop::CheckedPlan> helperPlan_;
  ids::Target target_;
  std::string shim_;
  Channel channel_;
  pid_t helperPid_ = -1;
};

}  // namespace

Error run(const LaunchOptions& options) {
  BrokerHooks hooks(options);
  return launch::run(options, hooks).error();
}

}  // namespace privbind::broker
