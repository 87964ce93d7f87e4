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

// The "#!" line of a script as the kernel reads it (fs/binfmt_script.c): the interpreter, and the
// rest of the line as its one optional argument. Only spaces and tabs separate them and are
// trimmed: a '\r' (a file with DOS line endings) stays part of the name, as for the kernel.
struct Shebang {
  std::string interpreter, arg;
  std::string bad;  // why execve(2) fails with ENOEXEC on this line; empty when it does not
};

// nullopt when path is not a script (or cannot be read: judged later as the program).
std::optional<Shebang> shebang(const std::string& path) {
  UniqueFd fd(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); }));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  char buf[256] = {};  // BINPRM_BUF_SIZE; the kernel's buffer is zeroed past the file's end
  ssize_t n = retryEintr([&] { return ::read(fd.get(), buf, sizeof buf); });
  if (n < 2 || buf[0] != '#' || buf[1] != '!') return std::nullopt;
  auto isSpace = [](char c) { return c == ' ' || c == '\t'; };
  Shebang sb;
  const std::string all(buf, sizeof buf);
  size_t end = all.find('\n');
  if (end == std::string::npos) {
    // No newline in the first 256 bytes: the kernel takes the line as cut at byte 255, unless
    // the interpreter's name runs up to there, which it must assume is truncated.
    size_t name = 2;
    while (name < 255 && isSpace(all[name])) ++name;
    size_t term = name;
    while (term < 255 && !isSpace(all[term]) && all[term] != '\0') ++term;
    if (name >= 255 || term >= 255) {
      sb.bad =
          "its \"#!\" line has no end within the first 255 bytes and the interpreter's "
          "name runs up to there, so the kernel takes it as truncated";
      return sb;
    }
    end = 255;
  }
  std::string line = all.substr(2, end - 2);
  if (size_t nul = line.find('\0'); nul != std::string::npos) line.resize(nul);
  while (!line.empty() && isSpace(line.back())) line.pop_back();
  size_t a = 0;
  while (a < line.size() && isSpace(line[a])) ++a;
  size_t b = a;
  while (b < line.size() && !isSpace(line[b])) ++b;
  if (a == b) {
    sb.bad = "its \"#!\" line names no interpreter";
    return sb;
  }
  sb.interpreter = line.substr(a, b - a);
  size_t c = b;
  while (c < line.size() && isSpace(line[c])) ++c;
  sb.arg = line.substr(c);
  return sb;
}

// For "#!/usr/bin/env [-S] NAME ...", the NAME env runs; "" for any other interpreter.
std::string envTarget(const Shebang& line) {
  if (tools::baseOf(line.interpreter) != "env") return "";
  size_t pos = 0;
  const std::string& arg = line.arg;
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

// A name as the reader should see it: a '\r' of a DOS line ending made visible.
std::string quoteName(const std::string& name) {
  std::string out;
  for (char ch : name) out += ch == '\r' ? std::string("\\r") : std::string(1, ch);
  return out;
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

ids::Target defaultUser() {
  ids::Target as;
  as.user.uid = kDefaultUid;
  as.gid = kDefaultGid;
  return as;
}

Result<BinaryReport> target(const std::string& target, const std::optional<ids::Target>& user) {
  const ids::Target as = user ? *user : defaultUser();
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
    ScriptHop hop;
    hop.path = real;
    hop.interpreter = line->interpreter + (line->arg.empty() ? "" : " " + line->arg);
    hop.fileCaps = filecaps::read(real).text;
    struct stat st {};
    if (stat(real.c_str(), &st) == 0) {
      hop.setuid = (st.st_mode & S_ISUID) != 0;
      hop.setgid = (st.st_mode & S_ISGID) != 0;
    }
    bin.scripts.push_back(hop);
    if (!line->bad.empty()) {
      bin.path = real;
      bin.execFailure = real + ": " + line->bad + ": execve(2) fails with ENOEXEC";
      return bin;
    }
    if (depth == 4) {
      // BINPRM_MAX_RECURSION: the kernel gives up with ELOOP.
      bin.path = real;
      bin.execFailure = real +
                        ": more than 4 nested \"#!\" interpreters: execve(2) fails with "
                        "ELOOP";
      return bin;
    }
    path = line->interpreter;
    bin.chain.push_back(real + ": #!" + hop.interpreter);
    // "#!/usr/bin/env NAME": env(1) looks NAME up on PATH, as the user.
    std::string name = envTarget(*line);
    if (!name.empty()) {
      if (name.find('/') != std::string::npos) {
        path = name;
      } else {
        auto found = findOnPath(name, as);
        if (!found) return found.error();
        if (found->empty()) {
          // env(1) starts, finds nothing and exits 127: the program never runs.
          bin.path = tools::realPathOr(path);
          bin.execFailure = real + ": its \"#!\" line runs env " + quoteName(name) + ", and no " +
                            quoteName(name) + " on PATH can be run by uid " + std::to_string(uid) +
                            ": env exits 127";
          return bin;
        }
        path = *found;
        bin.chain.push_back("PATH as uid " + std::to_string(uid) + ": " + path);
      }
    }
  }
}

}  // namespace privbind::doctor::resolve
