#include "modes/cgroup/leftovers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "modes/cgroup/hierarchy.h"
#include "modes/cgroup/own_cgroup.h"

namespace privbind::cgroupmode {

std::vector<std::string> removeLeftovers(int parentDirFd) {
  std::vector<std::string> removed;
  int dup = fcntl(parentDirFd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return removed;
  DIR* dir = fdopendir(dup);
  if (!dir) {
    UniqueFd closer(dup);
    return removed;
  }
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (!isCgroupName(name)) continue;
    UniqueFd fd(openat(parentDirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;
    // privbind makes its cgroups as root. Whoever may write the parent can name a directory
    // privbind-1-0000000000000000 but cannot make it root's: theirs is not privbind's to remove.
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || st.st_uid != 0) continue;
    // A live watcher holds the lock for as long as it lives (a run that has not taken it yet
    // gives up this name when it finds it taken or gone).
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    UniqueFd events(openat(fd.get(), "cgroup.events", O_RDONLY | O_CLOEXEC));
    if (!events || populated(events.get()) != 0) continue;
    // The name still leads to the directory checked (not one made since under the same name).
    if (!sameDirectory(parentDirFd, name.c_str(), st.st_dev, st.st_ino)) continue;
    if (unlinkat(parentDirFd, name.c_str(), AT_REMOVEDIR) == 0) removed.push_back(name);
  }
  closedir(dir);
  return removed;
}

}  // namespace privbind::cgroupmode
