#include "modes/broker/broker_mode.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/caps.h"
#include "common/elf.h"
#include "common/launch.h"
#include "common/privdrop.h"
#include "common/proc_status.h"
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
// and the way out. path is the file that will run (launch::resolveCommand); one that does not
// exist is left to exec, which says why.
Status checkTarget(const std::string& command) {
  const std::string hint = "; use --mode=caps (or --no-target-check to run it anyway)";
  std::string path = command;
  for (int depth = 0; depth < 4; ++depth) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return {};  // exec will say why
    // ld.so(8): in secure-execution mode (setuid/setgid) LD_PRELOAD is all but ignored.
    if (st.st_mode & (S_ISUID | S_ISGID))
      return Error::refuse(path, std::string("is set-user-ID or set-group-ID: the loader ignores "
                                             "the preload library for it") +
                                     hint);
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
                                     info.error().why() + ")" + hint);
    }
    if (info->isGo)
      return Error::refuse(path,
                           "is a Go program: it makes the bind system call itself, so "
                           "the preload library never sees it" +
                               hint);
    if (!info->dynamic)
      return Error::refuse(path,
                           "is statically linked: no dynamic loader runs, so the preload "
                           "library cannot be loaded" +
                               hint);
    return {};
  }
  return Error::refuse(command, "too many nested #! interpreters" + hint);
}

bool isRegularFile(const std::string& path, struct stat& st) {
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// -l PATH, else next to the running binary (the build tree), else the installed place.
// No environment variable: whoever sets root's environment must not pick the library.
Result<std::string> findShim(const std::string& preload) {
  std::vector<std::string> candidates =
      preload.empty() ? launch::shimCandidates() : std::vector<std::string>{preload};
  std::string tried;
  for (const auto& c : candidates) {
    struct stat st {};
    if (!preload.empty() && !isRegularFile(c, st)) {
      // The library given with -l: say what is wrong with it.
      if (stat(c.c_str(), &st) != 0) return Error::fromErrno("-l/--preload " + c, errno);
      return Error::refuse("-l/--preload " + c, "not a regular file");
    }
    if (!isRegularFile(c, st)) {
      tried += (tried.empty() ? "" : ", ") + c;
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
    return path;
  }
  return Error::refuse("preload library", "not found (tried " + tried + "); give it with -l PATH");
}

Result<std::string> randomSocketName() {
  unsigned char bytes[16];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
    return Error::fromErrno("getrandom(16)", errno);
  std::string name = PRIVBIND_SOCKET_PREFIX;
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    name += kHex[b >> 4];
    name += kHex[b & 15];
  }
  return name;
}

// The helper's socket, its random name bound before the fork. The helper calls listen(2) after
// dropping privileges, because the kernel records the credentials of the listen() call as what
// SO_PEERCRED shows connecting clients (unix(7)): the shim checks it is the command's uid. The
// launcher waits for the helper to be listening before exec, so the command can connect from
// its first instruction.
Result<UniqueFd> bindAbstract(const std::string& name) {
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::fromErrno("socket(AF_UNIX, SOCK_SEQPACKET)", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // abstract: leading NUL (unix(7))
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return Error::fromErrno("bind(@" + name + ")", errno);
  return fd;
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
Result<pid_t> startHelper(UniqueFd listener, Pipe& lifeline, const privdrop::Plan& plan,
                          const HelperConfig& config) {
  auto status = makePipe("status");
  if (!status) return status.error();
  pid_t middle = fork();
  if (middle < 0) return Error::fromErrno("fork()", errno);
  if (middle == 0) {
    pid_t helper = fork();
    if (helper == 0)
      helperMain(listener.get(), lifeline.read.get(), status->write.get(), plan, config);
    if (helper < 0) {
      std::string msg = Error::fromErrno("fork()", errno).message();
      (void)!::write(status->write.get(), msg.data(), msg.size());
    }
    _exit(helper < 0 ? kExitFailure : kExitOk);
  }
  // Only the helper keeps these.
  listener.reset();
  lifeline.read.reset();
  status->write.reset();
  int ws = 0;
  if (retryEintr([&] { return waitpid(middle, &ws, 0); }) != middle)
    return Error::fromErrno("waitpid(" + std::to_string(middle) + ")", errno);

  std::string text;
  char buf[512];
  for (;;) {
    ssize_t n = retryEintr([&] { return ::read(status->read.get(), buf, sizeof buf); });
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 4096) break;
  }
  if (text.starts_with("ok ") && text.ends_with("\n")) {
    if (auto pid = ids::parseId(std::string_view(text).substr(3, text.size() - 4)))
      return static_cast<pid_t>(*pid);
  }
  if (text.empty()) text = "exited before it was ready";
  return Error::refuse("starting the helper", text);
}

std::string padded(int fd) {
  char buf[PRIVBIND_LIFELINE_DIGITS + 1];
  std::snprintf(buf, sizeof buf, "%0*d", PRIVBIND_LIFELINE_DIGITS, fd);
  return buf;
}

}  // namespace

Error run(const LaunchOptions& options) {
  if (auto s = ensureStandardFds(); !s) return s.error();

  // 1. Resolve every name before any credential change (nsswitch may need root's files).
  auto target = ids::resolveTarget(options.user, options.group, options.noGroups);
  if (!target) return target.error();

  // The command keeps no capability at all; its bounding set is emptied.
  privdrop::Plan command;
  command.target = *target;
  command.keep = 0;
  command.ambient = false;
  command.noNewPrivs = !options.allowSetuid;
  if (auto s = privdrop::checkPreconditions(command); !s) return s.error();

  // The helper: same uid and gid, no supplementary groups (it opens no file), exactly
  // CAP_NET_BIND_SERVICE in permitted and effective (not inheritable, not ambient), bounding
  // set shrunk to it, always no_new_privs.
  privdrop::Plan helper;
  helper.target = *target;
  helper.target.groups.clear();
  helper.keep = caps::bit(caps::kNetBindService);
  helper.ambient = false;
  helper.noNewPrivs = true;
  if (!caps::inBounding(caps::kNetBindService))
    return Error::refuse("cap_net_bind_service is not in privbind's bounding set",
                         "the helper could not bind reserved ports (a container started "
                         "without it?)");
  if (auto s = privdrop::checkPreconditions(helper); !s) return s.error();

  // 2. The one file that runs, found as the target would find it; the check below, -v and
  //    exec all use it. Targets the shim cannot reach are refused before anything is started.
  auto resolved = launch::resolveCommand(options.command[0], *target);
  if (!resolved) return resolved.error();
  if (!options.noTargetCheck)
    if (auto s = checkTarget(resolved->path); !s) return s.error();

  // 3. The shim.
  auto shim = findShim(options.preload);
  if (!shim) return shim.error();

  // 4. The channel, the lifeline, the helper.
  auto name = randomSocketName();
  if (!name) return name.error();
  auto listener = bindAbstract(*name);
  if (!listener) return listener.error();
  auto lifeline = makePipe("lifeline");
  if (!lifeline) return lifeline.error();

  HelperConfig config;
  config.policy.uid = target->user.uid;
  config.policy.unprivilegedStart = proc::unprivilegedPortStart();
  config.policy.ports = options.ports;
  config.reuseport = options.reuseport;
  config.binds = options.binds;
  config.verbose = options.verbose;
  auto helperPid = startHelper(std::move(*listener), *lifeline, helper, config);
  if (!helperPid) return helperPid.error();

  // 5. The command's environment: the shim first in LD_PRELOAD, anything already there kept.
  launch::Env env = launch::currentEnvironment();
  if (!options.keepEnv) launch::describeUser(env, target->user);
  std::string preload = *shim;
  if (const std::string* old = launch::getVar(env, "LD_PRELOAD")) {
    std::string rest = old->substr(std::strlen("LD_PRELOAD="));
    if (!rest.empty()) preload += ":" + rest;
  }
  launch::setVar(env, "LD_PRELOAD", preload);
  launch::setVar(env, PRIVBIND_ENV_SOCKET, *name);
  launch::setVar(env, PRIVBIND_ENV_LIFELINE, padded(lifeline->write.get()));

  if (options.verbose)
    std::fprintf(stderr,
                 "privbind: broker mode: helper pid %d on @%s; command as uid %u gid %u, %zu "
                 "groups, no capability%s, preloading %s\n",
                 static_cast<int>(*helperPid), name->c_str(), target->user.uid, target->gid,
                 target->groups.size(), command.noNewPrivs ? ", no_new_privs" : "", shim->c_str());

  if (options.verbose)
    std::fprintf(stderr, "privbind: limits: %s\n", launch::limitsText(options).c_str());
  launch::reportCommand(*resolved, *target, options.verbose);

  // 6. Drop. From here on a failure leaves the process half-dropped: exit, run nothing. Our
  //    exit closes the lifeline and the helper follows.
  if (auto s = privdrop::drop(command); !s) return s.error();
  // The loader reads the shim as the target user; a library it cannot read would be skipped
  // with a warning and every privileged bind would fail. access(2) checks the real uid: now
  // the target's.
  if (access(shim->c_str(), R_OK) != 0)
    return Error::fromErrno(
        "preload library " + *shim + " (as uid " + std::to_string(target->user.uid) + ")", errno);

  // 7. The lifeline is the one descriptor the command inherits: made inheritable right before
  //    exec. Exec in place: same pid, the command's status is privbind's.
  if (fcntl(lifeline->write.get(), F_SETFD, 0) != 0)
    return Error::fromErrno("fcntl(lifeline, F_SETFD, 0)", errno);
  Error error = launch::execCommand(*resolved, options.command, env);
  return error;
}

}  // namespace privbind::broker
