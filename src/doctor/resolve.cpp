#include "doctor/resolve.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "common/launch.h"
#include "doctor/tools.h"

namespace privbind::doctor::resolve {

namespace {

using tools::dirOf;

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

}  // namespace

Result<BinaryReport> target(const std::string& target) {
  BinaryReport bin;
  bin.query = target;
  std::string path;
  if (target.find('/') != std::string::npos) {
    path = target;
  } else {
    if (target == "java") {
      const char* home = std::getenv("JAVA_HOME");
      if (home && *home) {
        std::string candidate = std::string(home) + "/bin/java";
        if (isExecutableFile(candidate)) {
          path = candidate;
          bin.chain.push_back("$JAVA_HOME/bin/java = " + candidate);
        } else {
          bin.chain.push_back("$JAVA_HOME/bin/java (" + candidate +
                              ") is not an executable file; looking on PATH");
        }
      }
    }
    if (path.empty()) {
      for (const auto& candidate : launch::pathCandidates(target)) {
        if (candidate[0] != '/') continue;  // a relative PATH entry: not what root runs
        if (isExecutableFile(candidate)) {
          path = candidate;
          bin.chain.push_back("PATH: " + candidate);
          break;
        }
      }
    }
    if (path.empty())
      return Error::refuse(target, "not found: not a path, and no such command on PATH");
  }
  // Follow the symlinks one by one so that the report shows /etc/alternatives hops.
  std::string cur = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (lstat(cur.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    char buf[4096];
    ssize_t n = readlink(cur.c_str(), buf, sizeof buf - 1);
    if (n <= 0) break;
    std::string next(buf, static_cast<size_t>(n));
    if (next[0] != '/') next = dirOf(cur) + "/" + next;
    bin.chain.push_back(cur + " -> " + next);
    cur = next;
  }
  std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
  bin.path = real ? std::string(real.get()) : path;
  return bin;
}

}  // namespace privbind::doctor::resolve
