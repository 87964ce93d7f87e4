// The cgroup privbind makes for one run, held by a descriptor from the moment it exists:
// privbind links the programs through that descriptor and privbind enters it through it, so that
// whoever may write the parent cgroup (its owner, in a delegated tree) cannot slip another
// directory of the same name in between. cgroup v2 has no rename (its kernfs syscall ops have
// none), so a name that still leads to the inode held has led to it all along.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace privbind::cgroupmode {

struct OwnCgroup {
  UniqueFd fd;       // the directory, O_RDONLY | O_DIRECTORY, close-on-exec, flock(LOCK_EX) held
  std::string name;  // privbind-<pid>-<random>, in the parent directory
  dev_t dev = 0;     // the directory's identity, from fstat of fd
  ino_t ino = 0;
};

// Needs: root; parentFd privbind's cgroup v2 directory (parentDir its path, for messages).
// Leaves: a new empty cgroup <parent>/<name>, mode 0755, owned by root, open and locked
// (flock(2): removeLeftovers() in other runs leaves a locked cgroup alone; the lock lives as long
// as any copy of the descriptor, the watcher's included). The name is checked to lead to the
// directory held. Another run's clean-up may take a name between mkdir and flock: then another
// name, 4 times at most. A directory under the name that is not root's means someone who may
// write the parent replaced it: refused, and *replaced is set (not a matter of this host, so no
// other mode is tried).
Result<OwnCgroup> createOwnCgroup(int parentFd, const std::string& parentDir, bool* replaced);

// Whether name in parentFd is still the directory with this device and inode.
bool sameDirectory(int parentFd, const char* name, dev_t dev, ino_t ino);

// Removes the cgroup if its name still leads to it: a directory someone else made under that name
// is never removed. Best effort (it may be populated, or gone).
void removeOwnCgroup(int parentFd, const OwnCgroup& cgroup);

// Needs: root, the cgroup linked by the watcher. Leaves this process in exactly that cgroup: its
// pid written to cgroup.procs opened through the held descriptor (a removed cgroup fails there,
// ENOENT or ENODEV), then checkInOwnCgroup(). A removal, a swap or a move out is refused in
// privbind's words, naming who could do it (the parent's owner).
Status enterOwnCgroup(int parentFd, const OwnCgroup& cgroup, const std::string& parentDir,
                      const std::string& expectedPath);

// Needs: this process in the cgroup already (moved by enterOwnCgroup(), or born in it by
// clone3(2) with CLONE_INTO_CGROUP and the held descriptor). Checks /proc/self/cgroup against
// expectedPath, then the name against the inode held (after the path: the name then leads to the
// held directory, and has since the path was read). The same refusals as enterOwnCgroup().
Status checkInOwnCgroup(int parentFd, const OwnCgroup& cgroup, const std::string& parentDir,
                        const std::string& expectedPath);

// The refusal for a cgroup that is no longer under its name: "cgroup mode: the cgroup privbind
// created (DIR) was removed before the command entered it (the parent cgroup PARENT is owned by
// uid N, who can remove cgroups in it)".
Error removedBeforeEntry(int parentFd, const std::string& parentDir, const std::string& name);

// "populated 1" or "populated 0" in a cgroup.events file (cgroup v2: the cgroup or a descendant
// has a live process): 1 or 0; -1 when it cannot be read (the cgroup was removed: ENODEV).
int populated(int eventsFd);

}  // namespace privbind::cgroupmode
