#include "common/launch.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/elf.h"
#include "common/shared_child.h"
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

// The search below runs in a child that shares privbind's memory (shared_child.h): no page
// tables are copied and none torn down, which a fork(2) of privbind costs on every launch. The
// child therefore only makes system calls, and the id changes as raw syscall(2)s, because glibc's
// wrappers would try to apply them to every thread of the process (nptl's setxid) rather than to
// the calling task only. Credentials belong to the task (credentials(7)), so privbind's own ids
// do not change.
struct Search {
  // In: the candidate files, in $PATH order, and the ids to search with.
  std::vector<const char*> candidates;
  const ids::Target* as = nullptr;
  bool switchIds = false;
  // With errors set: every candidate is checked, and errors[i] gets what execve(2)'s permission
  // check says for it (0, or the errno), instead of stopping at the first executable one.
  int* errors = nullptr;
  // Out.
  const char* failedCall = nullptr;  // the id change that failed
  int err = 0;
  long found = -1;   // the first regular file the target may execute
  long denied = -1;  // the first one that exists but may not be executed (execvp(3)'s EACCES)
  bool cwdEnterable = false;
  bool done = false;
};

int searchChild(void* arg) {
  Search& s = *static_cast<Search*>(arg);
  if (s.switchIds) {
    // Not dumpable before the ids change, so that no process of the target user may ptrace(2)
    // this task, which shares privbind's memory (the kernel does so itself when
    // fs.suid_dumpable is 0, proc(5); this holds for any value). The flag belongs to the memory,
    // so privbind is not dumpable either from here until its execve(2): it is root, which only
    // root may trace anyway.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
      s.failedCall = "prctl(PR_SET_DUMPABLE, 0)";
    } else if (syscall(SYS_setgroups, s.as->groups.size(), s.as->groups.data()) != 0) {
      s.failedCall = "setgroups()";
    } else if (syscall(SYS_setresgid, s.as->gid, s.as->gid, s.as->gid) != 0) {
      s.failedCall = "setresgid()";
    } else if (syscall(SYS_setresuid, s.as->user.uid, s.as->user.uid, s.as->user.uid) != 0) {
      s.failedCall = "setresuid()";
    }
    if (s.failedCall) {
      s.err = errno;
      return 1;
    }
  }
  if (s.errors) {
    for (size_t i = 0; i < s.candidates.size(); ++i) {
      struct stat st {};
      // execve(2): ENOENT, ENOTDIR, ELOOP or EACCES (a directory on the way the target may not
      // search) from the path walk; EACCES for anything but a regular file; then access(2) as
      // the target: execute permission (mode bits, ACLs) and the noexec mount flag.
      if (stat(s.candidates[i], &st) != 0)
        s.errors[i] = errno;
      else if (!S_ISREG(st.st_mode))
        s.errors[i] = EACCES;
      else
        s.errors[i] = access(s.candidates[i], X_OK) == 0 ? 0 : errno;
    }
    s.done = true;
    return 0;
  }
  for (size_t i = 0; i < s.candidates.size(); ++i) {
    struct stat st {};
    // access(2) checks the real ids, which are the target's here: search permission of every
    // directory on the way, then execute permission of the file (and noexec mounts).
    if (stat(s.candidates[i], &st) != 0) continue;  // not there, or not visible to the target
    if (S_ISREG(st.st_mode) && access(s.candidates[i], X_OK) == 0) {
      s.found = static_cast<long>(i);
      break;
    }
    // execvp(3) goes on searching after EACCES and reports it only if nothing else is found.
    if (s.denied < 0) s.denied = static_cast<long>(i);
  }
  s.cwdEnterable = access(".", X_OK) == 0;
  s.done = true;
  return 0;
}

// Runs searchChild in a task that shares this process's memory and waits for it to end.
Status runSearch(Search& search) {
  auto ws = sharedchild::run(searchChild, &search, "command search");
  if (!ws) return ws.error();
  if (search.failedCall) return {};
  if (!search.done || !WIFEXITED(*ws) || WEXITSTATUS(*ws) != 0)
    return Error::refuse("command search", "the child ended without an answer");
  return {};
}

}  // namespace

Result<Command> resolveCommand(const std::string& name, const ids::Target& as) {
  Command cmd;
  cmd.name = name;
  char cwd[PATH_MAX];
  cmd.cwd = getcwd(cwd, sizeof cwd) ? cwd : "(unknown)";
  const char* env = getenv("PATH");
  const std::string pathVar = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";

  // The files to try, made here: the child allocates nothing. A name with a '/' is not searched
  // (execve(2) reports what is wrong with it); the search stops at the first relative entry.
  const bool searched = name.find('/') == std::string::npos;
  std::vector<std::string> files;
  std::optional<std::string> relative;
  for (const auto& dir : searched ? text::splitPathList(pathVar) : std::vector<std::string>{}) {
    if (dir.empty() || dir[0] != '/') {
      relative = dir;
      break;
    }
    files.push_back(dir + "/" + name);
  }
  Search search;
  for (const auto& f : files) search.candidates.push_back(f.c_str());
  search.as = &as;
  // Not root (doctor run by an ordinary user): no ids to take, the search runs with our own.
  search.switchIds = geteuid() == 0;
  if (auto s = runSearch(search); !s) return s.error();
  if (search.failedCall)
    return Error::fromErrno(std::string(search.failedCall) + " as uid " +
                                std::to_string(as.user.uid) + " for the command search",
                            search.err);

  cmd.cwdEnterable = search.cwdEnterable;
  if (!searched || search.found >= 0) {
    cmd.path = searched ? files[static_cast<size_t>(search.found)] : name;
    cmd.searched = searched;
    return cmd;
  }
  if (relative)
    return Error::refuse(
        "PATH",
        "the search for " + name + " reaches the relative entry '" + *relative +
            "', which would run whatever lies in the working directory; remove it from PATH or "
            "give COMMAND as a path");
  const std::string uid = std::to_string(as.user.uid);
  if (search.denied >= 0)
    return Error::refuse(files[static_cast<size_t>(search.denied)],
                         "not executable by uid " + uid + " (" + strerror(EACCES) + ")",
                         kExitNotExecutable);
  if (name == "doctor")
    return Error::refuse(name, "command not found (did you mean 'privbind doctor'?)",
                         kExitNotFound);
  return Error::refuse(name, "command not found", kExitNotFound);
}

Result<std::vector<int>> executableAs(const std::vector<std::string>& files,
                                      const ids::Target& as) {
  std::vector<int> errors(files.size(), 0);
  Search search;
  for (const auto& f : files) search.candidates.push_back(f.c_str());
  search.as = &as;
  search.switchIds = geteuid() == 0;
  search.errors = errors.data();
  if (auto s = runSearch(search); !s) return s.error();
  if (search.failedCall)
    return Error::fromErrno(std::string(search.failedCall) + " as uid " +
                                std::to_string(as.user.uid) + " for the execute check",
                            search.err);
  return errors;
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
  if (options.maxBound)
    add(std::to_string(*options.maxBound) + " privileged socket" +
        (*options.maxBound == 1 ? "" : "s") + " bound at once");
  if (options.reuseport) add("SO_REUSEPORT on " + options.reuseport->toString());
  if (options.traceBinds) add("none, tracing binds");
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
