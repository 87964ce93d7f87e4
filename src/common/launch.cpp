#include "common/launch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "privbind/version.h"

namespace privbind::launch {

Env currentEnvironment() {
  Env env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

void setVar(Env& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
  env.push_back(prefix + value);
}

const std::string* getVar(const Env& env, const std::string& name) {
  const std::string prefix = name + "=";
  for (const auto& e : env)
    if (e.starts_with(prefix)) return &e;
  return nullptr;
}

void describeUser(Env& env, const ids::User& user) {
  const std::string name = user.hasPasswd ? user.name : std::to_string(user.uid);
  setVar(env, "HOME", user.hasPasswd && !user.home.empty() ? user.home : "/");
  setVar(env, "USER", name);
  setVar(env, "LOGNAME", name);
}

std::vector<std::string> pathCandidates(const std::string& name) {
  if (name.find('/') != std::string::npos) return {name};
  const char* path = getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(pos, colon - pos);
    pos = colon + 1;
    out.push_back((dir.empty() ? "." : dir) + "/" + name);
  }
  return out;
}

std::vector<std::string> shimCandidates() {
  std::vector<std::string> out;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string self(exe, static_cast<size_t>(n));
    out.push_back(self.substr(0, self.rfind('/') + 1) + PRIVBIND_SHIM_NAME);
  }
  out.push_back(std::string(PRIVBIND_SHIM_INSTALL_DIR) + "/" + PRIVBIND_SHIM_NAME);
  return out;
}

Error execCommand(const std::vector<std::string>& command, const Env& env) {
  std::vector<char*> argv, envp;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string& name = command[0];

  if (name.find('/') != std::string::npos) {
    execve(name.c_str(), argv.data(), envp.data());
    int err = errno;
    return Error::fromErrno(name, err, err == ENOENT ? kExitNotFound : kExitNotExecutable);
  }
  // Our own PATH search rather than execvpe(3): a PATH directory that the target user may not
  // search (root's own, say) must read as "not there" (127), not as EACCES (126). 126 is kept
  // for a file that exists but cannot be run.
  int found = 0;  // errno of the first candidate that exists but would not run
  for (const auto& candidate : pathCandidates(name)) {
    execve(candidate.c_str(), argv.data(), envp.data());
    int err = errno;
    struct stat st {};
    if (err == ENOENT || err == ENOTDIR || stat(candidate.c_str(), &st) != 0) continue;
    if (!found) found = err;
  }
  if (found) return Error::fromErrno(name, found, kExitNotExecutable);
  return Error::refuse(name, "command not found", kExitNotFound);
}

}  // namespace privbind::launch
