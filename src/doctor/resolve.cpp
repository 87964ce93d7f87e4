#include "doctor/resolve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include "common/launch.h"
#include "common/unique_fd.h"
#include "doctor/file_caps.h"
#include "doctor/tools.h"

namespace privbind::doctor::resolve {

namespace {

using tools::dirOf;

// Follows the symlinks one by one so that the report shows /etc/alternatives hops; returns the
// real path.
std::string followSymlinks(const std::string& path, std::vector<std::string>& chain) {
  std::string cur = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (lstat(cur.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    char buf[4096];
    ssize_t n = readlink(cur.c_str(), buf, sizeof buf - 1);
    if (n <= 0) break;
    std::string next(buf, static_cast<size_t>(n));
    if (next[0] != '/') next = dirOf(cur) + "/" + next;
    chain.push_back(cur + " -> " + next);
    cur = next;
  }
  return tools::realPathOr(path);
}

// The "#!" line of a script as the kernel reads it (binfmt_script): the interpreter, and the
// rest of the line as its one optional argument. nullopt when path is not a script.
std::optional<std::pair<std::string, std::string>> shebang(const std::string& path) {
  UniqueFd fd(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); }));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  char buf[256] = {};  // BINPRM_BUF_SIZE
  ssize_t n = retryEintr([&] { return ::read(fd.get(), buf, sizeof buf); });
  if (n < 2 || buf[0] != '#' || buf[1] != '!') return std::nullopt;
  std::string line(buf + 2, static_cast<size_t>(n) - 2);
  if (size_t nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  auto isSpace = [](char c) { return c == ' ' || c == '\t'; };
  size_t a = 0;
  while (a < line.size() && isSpace(line[a])) ++a;
  size_t b = a;
  while (b < line.size() && !isSpace(line[b])) ++b;
  if (a == b) return std::nullopt;
  std::string arg = line.substr(b);
  size_t c = 0;
  while (c < arg.size() && isSpace(arg[c])) ++c;
  arg = arg.substr(c);
  while (!arg.empty() && (isSpace(arg.back()) || arg.back() == '\r')) arg.pop_back();
  return std::pair{line.substr(a, b - a), arg};
}

// For "#!/usr/bin/env [-S] NAME ...", the NAME env runs; "" for any other interpreter.
std::string envTarget(const std::pair<std::string, std::string>& line) {
  if (tools::baseOf(line.first) != "env") return "";
  size_t pos = 0;
  const std::string& arg = line.second;
  while (pos < arg.size()) {
    size_t end = arg.find_first_of(" \t", pos);
    if (end == std::string::npos) end = arg.size();
    std::string word = arg.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty() || word[0] == '-' || word.find('=') != std::string::npos) continue;
    return word;
  }
  return "";
}

// name on PATH as `as` finds it, by the launcher's search; "" when it finds nothing. Any other
// failure (a relative PATH entry reached, a file the user may not execute) means doctor could
// not inspect: exit 125, whatever code the launcher would use.
Result<std::string> findOnPath(const std::string& name, const ids::Target& as) {
  auto command = launch::resolveCommand(name, as);
  if (command) return command->path;
  if (command.error().exitCode() == kExitNotFound) return std::string();
  return Error::refuse(command.error().what(), command.error().why());
}

// The uid whose PATH search it was: the target's, or ours when we could not take its ids.
uid_t searchUid(const ids::Target& as) { return geteuid() == 0 ? as.user.uid : getuid(); }

}  // namespace

Result<BinaryReport> target(const std::string& target, const std::optional<ids::Target>& user) {
  ids::Target as;
  if (user) {
    as = *user;
  } else {
    as.user.uid = kDefaultUid;
    as.gid = kDefaultGid;
  }
  const uid_t uid = searchUid(as);
  BinaryReport bin;
  bin.query = target;
  std::string path;
  if (target.find('/') != std::string::npos) {
    path = target;
  } else {
    // $JAVA_HOME is root's environment; "privbind -u USER" never consults it, so doctor -u does
    // not either.
    if (target == "java" && !user) {
      const char* home = std::getenv("JAVA_HOME");
      if (home && *home) {
        std::string candidate = std::string(home) + "/bin/java";
        if (tools::isExecutableFile(candidate)) {
          path = candidate;
          bin.chain.push_back("$JAVA_HOME/bin/java = " + candidate);
        } else {
          bin.chain.push_back("$JAVA_HOME/bin/java (" + candidate +
                              ") is not an executable file; looking on PATH");
        }
      }
    }
    if (path.empty()) {
      auto found = findOnPath(target, as);
      if (!found) return found.error();
      path = *found;
      if (!path.empty()) bin.chain.push_back("PATH as uid " + std::to_string(uid) + ": " + path);
    }
    if (path.empty())
      return Error::refuse(target, "not found: not a path, and no command on PATH that uid " +
                                       std::to_string(uid) + " can run");
  }
  // The kernel follows at most this many "#!" interpreters (BINPRM_MAX_RECURSION).
  for (int depth = 0;; ++depth) {
    std::string real = followSymlinks(path, bin.chain);
    auto line = shebang(real);
    if (!line) {
      bin.path = real;
      return bin;
    }
    if (depth == 4) return Error::refuse(target, "more than 4 nested \"#!\" interpreters");
    ScriptHop hop;
    hop.path = real;
    hop.interpreter = line->first + (line->second.empty() ? "" : " " + line->second);
    hop.fileCaps = filecaps::read(real).text;
    struct stat st {};
    if (stat(real.c_str(), &st) == 0) {
      hop.setuid = (st.st_mode & S_ISUID) != 0;
      hop.setgid = (st.st_mode & S_ISGID) != 0;
    }
    bin.scripts.push_back(hop);
    path = line->first;
    bin.chain.push_back(real + ": #!" + hop.interpreter);
    // "#!/usr/bin/env NAME": env(1) looks NAME up on PATH, as the user.
    std::string name = envTarget(*line);
    if (!name.empty()) {
      if (name.find('/') != std::string::npos) {
        path = name;
      } else {
        auto found = findOnPath(name, as);
        if (!found) return found.error();
        if (found->empty())
          return Error::refuse(real, "its \"#!\" line runs env " + name + ", and no " + name +
                                         " on PATH can be run by uid " + std::to_string(uid));
        path = *found;
        bin.chain.push_back("PATH as uid " + std::to_string(uid) + ": " + path);
      }
    }
  }
}

}  // namespace privbind::doctor::resolve
