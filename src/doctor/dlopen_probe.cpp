#include "doctor/dlopen_probe.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"

namespace privbind::doctor::probe {

bool loadableInChild(const std::string& path, std::string& error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = "pipe2(): " + std::string(strerror(errno));
    return false;
  }
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  pid_t pid = fork();
  if (pid < 0) {
    error = "fork(): " + std::string(strerror(errno));
    return false;
  }
  if (pid == 0) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* msg = dlerror();
      size_t n = msg ? strlen(msg) : 0;
      if (n) (void)!write(writeEnd.get(), msg, n);
      _exit(1);
    }
    _exit(0);
  }
  writeEnd.reset();
  char buf[1024];
  std::string msg;
  ssize_t n;
  while ((n = retryEintr([&] { return ::read(readEnd.get(), buf, sizeof buf); })) > 0)
    msg.append(buf, static_cast<size_t>(n));
  int status = 0;
  retryEintr([&] { return waitpid(pid, &status, 0); });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  error = msg.empty() ? "dlopen failed" : msg;
  return false;
}

}  // namespace privbind::doctor::probe
