#include "doctor/tools.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "common/text.h"
#include "common/unique_fd.h"

namespace privbind::doctor::tools {

namespace {

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

}  // namespace

std::string dirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string find(const std::string& name) {
  std::vector<std::string> dirs = {"/usr/sbin", "/usr/bin",        "/sbin",
                                   "/bin",      "/usr/local/sbin", "/usr/local/bin"};
  if (const char* path = std::getenv("PATH"))
    for (auto& dir : text::splitPathList(path))
      // Only absolute directories: a relative PATH entry would run whatever is in the cwd.
      if (!dir.empty() && dir[0] == '/') dirs.push_back(std::move(dir));
  for (const auto& dir : dirs) {
    std::string candidate = dir + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return "";
}

Result<Output> run(const std::vector<std::string>& argv) { return runAs(argv, nullptr, {}); }

Result<Output> runAs(const std::vector<std::string>& argv, const ids::Target* as,
                     const std::vector<std::string>& env) {
  int outPipe[2], errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC) != 0) return Error::fromErrno("pipe2()", errno);
  UniqueFd outRead(outPipe[0]), outWrite(outPipe[1]);
  if (pipe2(errPipe, O_CLOEXEC) != 0) return Error::fromErrno("pipe2()", errno);
  UniqueFd errRead(errPipe[0]), errWrite(errPipe[1]);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (as) {
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  const bool switchIds = as && geteuid() == 0;

  pid_t pid = fork();
  if (pid < 0) return Error::fromErrno("fork()", errno);
  if (pid == 0) {
    // A constant table: nothing is allocated between fork and exec.
    const char* fixedEnv[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", nullptr};
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outWrite.get(), 1) < 0 ||
        dup2(errWrite.get(), 2) < 0)
      _exit(127);
    if (as) {
      // As the target, with no way to gain a privilege: groups, gid, then uid (all three), and
      // no_new_privs, so that nothing this child execs runs with more than the target has.
      if (switchIds && (setgroups(as->groups.size(), as->groups.data()) != 0 ||
                        setresgid(as->gid, as->gid, as->gid) != 0 ||
                        setresuid(as->user.uid, as->user.uid, as->user.uid) != 0))
        _exit(125);
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(125);
      execve(args[0], args.data(), envp.data());
      _exit(errno == ENOENT ? 127 : 126);
    }
    execve(args[0], args.data(), const_cast<char* const*>(fixedEnv));
    _exit(errno == ENOENT ? 127 : 126);
  }
  outWrite.reset();
  errWrite.reset();

  Output result;
  struct pollfd fds[2] = {{outRead.get(), POLLIN, 0}, {errRead.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int openCount = 2;
  char buf[8192];
  while (openCount > 0) {
    if (retryEintr([&] { return poll(fds, 2, -1); }) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = retryEintr([&] { return ::read(fds[i].fd, buf, sizeof buf); });
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        fds[i].fd = -1;
        --openCount;
      }
    }
  }
  int status = 0;
  if (retryEintr([&] { return waitpid(pid, &status, 0); }) < 0)
    return Error::fromErrno("waitpid(" + std::to_string(pid) + ")", errno);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string baseOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string realPathOr(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : path;
}

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace privbind::doctor::tools
