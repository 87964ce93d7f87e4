#include "modes/cgroup/own_cgroup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>

#include "common/files.h"
#include "modes/cgroup/hierarchy.h"

namespace privbind::cgroupmode {

namespace {

std::string join(const std::string& dir, const std::string& name) {
  return dir + (dir.ends_with('/') ? "" : "/") + name;
}

// "the parent cgroup DIR is owned by uid N, who can <can>"
std::string parentOwner(int parentFd, const std::string& parentDir, const char* can) {
  struct stat st {};
  if (fstat(parentFd, &st) != 0) return "the parent cgroup " + parentDir + " could not be read";
  return "the parent cgroup " + parentDir + " is owned by uid " + std::to_string(st.st_uid) +
         ", who can " + can;
}

}  // namespace

bool sameDirectory(int parentFd, const char* name, dev_t dev, ino_t ino) {
  struct stat st {};
  if (fstatat(parentFd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return S_ISDIR(st.st_mode) && st.st_dev == dev && st.st_ino == ino;
}

int populated(int eventsFd) {
  char buf[256];
  ssize_t n = retryEintr([&] { return pread(eventsFd, buf, sizeof buf - 1, 0); });
  if (n <= 0) return -1;
  std::string_view text(buf, static_cast<size_t>(n));
  size_t at = text.find("populated ");
  if (at == std::string_view::npos || at + 10 >= text.size()) return -1;
  return text[at + 10] == '0' ? 0 : 1;
}

Error removedBeforeEntry(int parentFd, const std::string& parentDir, const std::string& name) {
  return Error::refuse("cgroup mode", "the cgroup privbind created (" + join(parentDir, name) +
                                          ") was removed before the command entered it (" +
                                          parentOwner(parentFd, parentDir, "remove cgroups in it") +
                                          ")");
}

Result<OwnCgroup> createOwnCgroup(int parentFd, const std::string& parentDir, bool* replaced) {
  if (replaced) *replaced = false;
  for (int attempt = 0; attempt < 4; ++attempt) {
    uint64_t random = 0;
    if (getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
      return Error::fromErrno("getrandom(8)", errno);
    OwnCgroup cg;
    cg.name = cgroupName(getpid(), random);
    const std::string dir = join(parentDir, cg.name);
    // 0755 root: the command (another uid) can neither create cgroups below it nor move
    // processes in (that needs write access to its cgroup.procs, cgroups(7) "Cgroup delegation").
    if (mkdirat(parentFd, cg.name.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;
      return Error::fromErrno("mkdir(" + dir + ")", errno);
    }
    cg.fd = UniqueFd(
        openat(parentFd, cg.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // Gone already: another run's clean-up took it (it was empty and not yet locked), or the
    // parent's owner removed it. Another name.
    if (!cg.fd && errno == ENOENT) continue;
    if (!cg.fd) return Error::fromErrno("open(" + dir + ")", errno);
    struct stat st {};
    if (fstat(cg.fd.get(), &st) != 0) return Error::fromErrno("fstat(" + dir + ")", errno);
    // privbind made it as root: another owner means it was removed and made again by someone
    // who may write the parent. privbind would be entering their cgroup.
    if (st.st_uid != 0) {
      if (replaced) *replaced = true;
      return Error::refuse(
          "cgroup mode",
          "the cgroup privbind created (" + dir + ") was removed and made again by uid " +
              std::to_string(st.st_uid) + " before privbind opened it (" +
              parentOwner(parentFd, parentDir, "remove and create cgroups in it") + ")");
    }
    // The lock tells removeLeftovers() in other runs that this cgroup is alive. One of them may
    // hold it for a moment, and remove the cgroup: then this name is lost.
    if (flock(cg.fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) continue;
      return Error::fromErrno("flock(" + dir + ")", errno);
    }
    cg.dev = st.st_dev;
    cg.ino = st.st_ino;
    // Removed (and perhaps made again) after the open: the directory held is not the one named.
    if (!sameDirectory(parentFd, cg.name.c_str(), cg.dev, cg.ino)) continue;
    return cg;
  }
  return Error::refuse("cgroup mode",
                       "the cgroup privbind created in " + parentDir +
                           " was removed 4 times in a row before privbind could lock it (by "
                           "other privbind runs' clean-up, or by whoever may write " +
                           parentDir + ")");
}

void removeOwnCgroup(int parentFd, const OwnCgroup& cgroup) {
  if (cgroup.fd && sameDirectory(parentFd, cgroup.name.c_str(), cgroup.dev, cgroup.ino))
    unlinkat(parentFd, cgroup.name.c_str(), AT_REMOVEDIR);
}

Status enterOwnCgroup(int parentFd, const OwnCgroup& cgroup, const std::string& parentDir,
                      const std::string& expectedPath) {
  const std::string dir = join(parentDir, cgroup.name);
  auto gone = [&] { return removedBeforeEntry(parentFd, parentDir, cgroup.name); };
  // cgroup.procs of the directory held, not of whatever the name leads to now. Of a removed
  // cgroup, the open fails with ENOENT, a write with ENODEV.
  UniqueFd procs(openat(cgroup.fd.get(), "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!procs) {
    int err = errno;
    if (!sameDirectory(parentFd, cgroup.name.c_str(), cgroup.dev, cgroup.ino)) return gone();
    return Error::fromErrno("open(" + dir + "/cgroup.procs)", err);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (retryEintr([&] { return ::write(procs.get(), pid.data(), pid.size()); }) !=
      static_cast<ssize_t>(pid.size())) {
    int err = errno;
    if (!sameDirectory(parentFd, cgroup.name.c_str(), cgroup.dev, cgroup.ino)) return gone();
    return Error::fromErrno("write(" + dir + "/cgroup.procs, " + std::to_string(getpid()) + ")",
                            err);
  }
  return checkInOwnCgroup(parentFd, cgroup, parentDir, expectedPath);
}

Status checkInOwnCgroup(int parentFd, const OwnCgroup& cgroup, const std::string& parentDir,
                        const std::string& expectedPath) {
  const std::string dir = join(parentDir, cgroup.name);
  // The kernel's word on where this process is now. Whoever may write the parent's cgroup.procs
  // can move it out again (cgroup v2 "Delegation Containment": write access to the common
  // ancestor's cgroup.procs), so this is checked after the write or the birth, not assumed.
  auto cg = files::readFile("/proc/self/cgroup");
  if (!cg) return cg.error();
  auto now = parseV2Path(*cg);
  if (!now)
    return Error::refuse("cgroup mode",
                         "privbind's cgroup " + dir +
                             " was removed right after privbind entered it: " + now.error().why());
  if (*now != expectedPath)
    return Error::refuse(
        "cgroup mode", "privbind was moved from the cgroup it created (" + dir + ") to " + *now +
                           " before the command started (" +
                           parentOwner(parentFd, parentDir, "move processes between its cgroups") +
                           ")");
  // Last, the name: if it still leads to the directory held, it has since the path above was
  // read (no rename in cgroup v2), so that path was this directory's.
  if (!sameDirectory(parentFd, cgroup.name.c_str(), cgroup.dev, cgroup.ino))
    return Error::refuse(
        "cgroup mode",
        "the cgroup privbind created (" + dir +
            ") was replaced by another of the same name while privbind entered it (" +
            parentOwner(parentFd, parentDir, "move processes out, and remove and create cgroups") +
            ")");
  return {};
}

}  // namespace privbind::cgroupmode
