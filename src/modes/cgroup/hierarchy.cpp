#include "modes/cgroup/hierarchy.h"

#include <charconv>
#include <cstdio>
#include <vector>

#include "common/text.h"

namespace privbind::cgroupmode {

namespace {

std::vector<std::string_view> splitSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
std::string unescape(std::string_view field) {
  auto isOct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && isOct(field[i + 1]) && isOct(field[i + 2]) &&
        isOct(field[i + 3])) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += field[i];
  }
  return out;
}

// Whether path is root or below it ("/a" contains "/a/b", not "/ab").
bool contains(std::string_view root, std::string_view path) {
  if (root == "/") return !path.empty() && path[0] == '/';
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

}  // namespace

Result<Cgroup2Mount> findCgroup2Mount(std::string_view mountinfo, std::string_view cgroupPath) {
  bool sawV2 = false;
  for (auto line : text::splitLines(mountinfo)) {
    auto f = splitSpaces(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 7 || dash + 1 >= f.size() || f[dash + 1] != "cgroup2") continue;
    sawV2 = true;
    Cgroup2Mount m;
    m.root = unescape(f[3]);
    m.mountPoint = unescape(f[4]);
    std::string_view opts = f[5];
    m.readOnly = opts == "ro" || opts.starts_with("ro,");
    if (contains(m.root, cgroupPath)) return m;
  }
  if (!sawV2)
    return Error::refuse("cgroup v2", "not mounted (no cgroup2 line in /proc/self/mountinfo)");
  return Error::refuse("cgroup v2",
                       "no cgroup2 mount shows privbind's own cgroup " + std::string(cgroupPath));
}

Result<std::string> parseV2Path(std::string_view procSelfCgroup) {
  for (auto line : text::splitLines(procSelfCgroup)) {
    if (!line.starts_with("0::")) continue;
    std::string_view path = line.substr(3);
    if (path.empty() || path[0] != '/')
      return Error::refuse("/proc/self/cgroup", "the 0:: line has no absolute path");
    // A cgroup removed under a running process shows as "... (deleted)" (cgroups(7)).
    if (path.ends_with(" (deleted)"))
      return Error::refuse("/proc/self/cgroup", "privbind's own cgroup has been removed");
    return std::string(path);
  }
  return Error::refuse("/proc/self/cgroup", "no 0:: line: privbind is in no cgroup v2 hierarchy");
}

Result<std::string> cgroupDirectory(const Cgroup2Mount& mount, std::string_view cgroupPath) {
  if (!contains(mount.root, cgroupPath))
    return Error::refuse("cgroup v2", "cgroup " + std::string(cgroupPath) +
                                          " is not below the mount's root " + mount.root);
  std::string_view rest = cgroupPath.substr(mount.root == "/" ? 0 : mount.root.size());
  std::string dir = mount.mountPoint;
  if (!rest.empty() && rest != "/") {
    if (dir.ends_with('/')) dir.pop_back();
    dir += rest;
  }
  if (rest.find("/../") != std::string_view::npos || rest.ends_with("/.."))
    return Error::refuse("cgroup v2", "path " + std::string(cgroupPath) + " contains '..'");
  return dir;
}

bool isIdentityUidMap(std::string_view uidMap) {
  // The initial user namespace: "0 0 4294967295". Anything else translates ids.
  auto lines = text::splitLines(uidMap);
  if (lines.size() != 1) return false;
  auto f = splitSpaces(lines[0]);
  return f.size() == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295";
}

std::string cgroupName(int pid, uint64_t random) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "privbind-%d-%016llx", pid,
                static_cast<unsigned long long>(random));
  return buf;
}

bool isCgroupName(std::string_view name) {
  constexpr std::string_view kPrefix = "privbind-";
  if (!name.starts_with(kPrefix)) return false;
  name.remove_prefix(kPrefix.size());
  size_t dash = name.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 10) return false;
  for (size_t i = 0; i < dash; ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  std::string_view hex = name.substr(dash + 1);
  if (hex.size() != 16) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace privbind::cgroupmode
