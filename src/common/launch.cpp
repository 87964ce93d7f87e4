#include "common/launch.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/elf.h"
#include "common/text.h"
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
  std::vector<std::string> out;
  // An empty entry is the working directory, as execvp(3) takes it.
  for (const auto& dir : text::splitPathList(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"))
    out.push_back((dir.empty() ? "." : dir) + "/" + name);
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

namespace {

// The child's answer, fields separated by NUL: kind, payload, "1"/"0" for the working directory.
//   F path   found          D path   found, not executable by the target
//   N        not found      R entry  a relative PATH entry was reached
//   E what   a call failed (payload "errno what")
std::string searchAsTarget(const std::string& name, const std::string& pathVar) {
  if (name.find('/') != std::string::npos) return std::string("F") + '\0' + name;
  std::string denied;
  for (const auto& dir : text::splitPathList(pathVar)) {
    if (dir.empty() || dir[0] != '/') return std::string("R") + '\0' + dir;
    std::string candidate = dir + "/" + name;
    struct stat st {};
    // access(2) checks the real ids, which are the target's here: search permission of every
    // directory on the way, then execute permission of the file (and noexec mounts).
    if (stat(candidate.c_str(), &st) != 0) continue;  // not there, or not visible to the target
    if (S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return std::string("F") + '\0' + candidate;
    // execvp(3) goes on searching after EACCES and reports it only if nothing else is found.
    if (denied.empty()) denied = candidate;
  }
  if (!denied.empty()) return std::string("D") + '\0' + denied;
  return std::string("N") + '\0';
}

[[noreturn]] void searchChild(int out, const std::string& name, const std::string& pathVar,
                              const ids::Target& as) {
  std::string answer;
  // Not root (doctor run by an ordinary user): no ids to take, the search runs with our own.
  const bool switchIds = geteuid() == 0;
  if (switchIds && setgroups(as.groups.size(), as.groups.data()) != 0) {
    answer = "E" + std::string(1, '\0') + std::to_string(errno) + " setgroups()";
  } else if (switchIds && setresgid(as.gid, as.gid, as.gid) != 0) {
    answer = "E" + std::string(1, '\0') + std::to_string(errno) + " setresgid()";
  } else if (switchIds && setresuid(as.user.uid, as.user.uid, as.user.uid) != 0) {
    answer = "E" + std::string(1, '\0') + std::to_string(errno) + " setresuid()";
  } else {
    answer = searchAsTarget(name, pathVar);
    answer += '\0';
    answer += access(".", X_OK) == 0 ? '1' : '0';
  }
  const char* p = answer.data();
  size_t left = answer.size();
  while (left > 0) {
    ssize_t n = retryEintr([&] { return ::write(out, p, left); });
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  _exit(0);
}

}  // namespace

Result<Command> resolveCommand(const std::string& name, const ids::Target& as) {
  Command cmd;
  cmd.name = name;
  char cwd[PATH_MAX];
  cmd.cwd = getcwd(cwd, sizeof cwd) ? cwd : "(unknown)";
  const char* env = getenv("PATH");
  const std::string pathVar = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2(command search)", errno);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return Error::fromErrno("fork(command search)", err);
  }
  if (pid == 0) {
    close(fds[0]);
    searchChild(fds[1], name, pathVar, as);
  }
  close(fds[1]);
  std::string answer;
  char buf[4096];
  for (;;) {
    ssize_t n = retryEintr([&] { return ::read(fds[0], buf, sizeof buf); });
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int ws = 0;
  if (retryEintr([&] { return waitpid(pid, &ws, 0); }) != pid)
    return Error::fromErrno("waitpid(" + std::to_string(pid) + ")", errno);

  std::vector<std::string> fields;
  for (size_t pos = 0;;) {
    size_t nul = answer.find('\0', pos);
    fields.push_back(answer.substr(pos, nul - pos));
    if (nul == std::string::npos) break;
    pos = nul + 1;
  }
  const std::string kind = fields[0];
  const std::string payload = fields.size() > 1 ? fields[1] : "";
  if (kind == "E") {
    auto space = payload.find(' ');
    return Error::fromErrno(payload.substr(space + 1) + " as uid " + std::to_string(as.user.uid) +
                                " for the command search",
                            static_cast<int>(std::strtol(payload.c_str(), nullptr, 10)));
  }
  if (fields.size() != 3 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
    return Error::refuse("command search", "the child ended without an answer");
  cmd.cwdEnterable = fields[2] == "1";
  if (kind == "F") {
    cmd.path = payload;
    cmd.searched = name.find('/') == std::string::npos;
    return cmd;
  }
  const std::string uid = std::to_string(as.user.uid);
  if (kind == "D")
    return Error::refuse(payload, "not executable by uid " + uid + " (" + strerror(EACCES) + ")",
                         kExitNotExecutable);
  if (kind == "R")
    return Error::refuse(
        "PATH",
        "the search for " + name + " reaches the relative entry '" + payload +
            "', which would run whatever lies in the working directory; remove it from PATH or "
            "give COMMAND as a path");
  if (name == "doctor")
    return Error::refuse(name, "command not found (did you mean 'privbind doctor'?)",
                         kExitNotFound);
  return Error::refuse(name, "command not found", kExitNotFound);
}

void reportCommand(const Command& command, const ids::Target& as, bool verbose) {
  // The command inherits the working directory even when its user cannot search it; then every
  // relative path it opens fails (a web server started in /root serves 404s). A service sets
  // WorkingDirectory= (systemd.exec(5)); privbind does not change directory behind its back.
  if (!command.cwdEnterable)
    std::fprintf(stderr,
                 "privbind: warning: working directory %s: uid %u cannot enter it, so relative "
                 "paths in %s will fail (cd first, or set WorkingDirectory=)\n",
                 command.cwd.c_str(), as.user.uid, command.name.c_str());
  if (verbose)
    std::fprintf(stderr, "privbind: command: %s%s\n", command.path.c_str(),
                 command.searched
                     ? (" (found on PATH as uid " + std::to_string(as.user.uid) + ")").c_str()
                     : "");
}

std::string limitsText(const LaunchOptions& options) {
  std::string out;
  auto add = [&](const std::string& item) { out += (out.empty() ? "" : "; ") + item; };
  if (options.ports) add("ports " + options.ports->toString());
  if (options.binds)
    add(std::to_string(*options.binds) + " privileged bind" + (*options.binds == 1 ? "" : "s"));
  if (options.reuseport) add("SO_REUSEPORT on " + options.reuseport->toString());
  return out.empty() ? "none (any reserved port, any number of binds)" : out;
}

Error execCommand(const Command& command, const std::vector<std::string>& argv, const Env& env) {
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string& path = command.path;
  execve(path.c_str(), args.data(), envp.data());
  int err = errno;
  if (err != ENOENT) return Error::fromErrno(path, err, kExitNotExecutable);
  // execve(2) says ENOENT also when the file exists but its interpreter (the #! program, or the
  // ELF PT_INTERP loader) does not: name the one that is missing.
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (auto interp = elf::scriptInterpreter(path); interp.ok())
      return Error::refuse(path, "its #! interpreter " + *interp + " is missing: " + strerror(err),
                           kExitNotExecutable);
    if (auto info = elf::read(path); info.ok() && !info->interpreter.empty())
      return Error::refuse(
          path, "its ELF interpreter " + info->interpreter + " is missing: " + strerror(err),
          kExitNotExecutable);
  }
  return Error::fromErrno(path, err, kExitNotFound);
}

}  // namespace privbind::launch
