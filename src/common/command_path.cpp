#include "common/command_path.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/launch.h"
#include "common/unique_fd.h"

namespace privbind::launch {

namespace {

// Index of the first candidate this process can execute, or -1.
int firstExecutable(const std::vector<std::string>& candidates) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    // A relative PATH entry means "wherever the service happens to start": never an answer.
    if (candidates[i].empty() || candidates[i][0] != '/') continue;
    struct stat st {};
    if (stat(candidates[i].c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (access(candidates[i].c_str(), X_OK) == 0) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Result<std::string> findCommandAs(const std::string& name, uid_t uid, gid_t gid) {
  const std::vector<std::string> candidates = pathCandidates(name);
  if (geteuid() != 0 || uid == 0) {
    int i = firstExecutable(candidates);
    return i < 0 ? std::string() : candidates[static_cast<size_t>(i)];
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2()", errno);
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  pid_t pid = fork();
  if (pid < 0) return Error::fromErrno("fork()", errno);
  if (pid == 0) {
    // Groups, then gid, then uid: the order that leaves no privilege behind.
    if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0)
      _exit(2);
    int i = firstExecutable(candidates);
    (void)!write(writeEnd.get(), &i, sizeof i);
    _exit(0);
  }
  writeEnd.reset();
  int index = -1;
  ssize_t n = retryEintr([&] { return ::read(readEnd.get(), &index, sizeof index); });
  int status = 0;
  retryEintr([&] { return waitpid(pid, &status, 0); });
  if (n != static_cast<ssize_t>(sizeof index) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error::refuse("looking " + name + " up on PATH as uid " + std::to_string(uid),
                         "could not take that user's ids");
  if (index < 0 || static_cast<size_t>(index) >= candidates.size()) return std::string();
  return candidates[static_cast<size_t>(index)];
}

}  // namespace privbind::launch
