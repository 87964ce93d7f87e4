// Clean-up of the cgroups a watcher left behind when it was killed.
#pragma once

#include <string>
#include <vector>

namespace privbind::cgroupmode {

// Removes the cgroups in parentDirFd that privbind's rules say are its own leftovers: named
// privbind-<pid>-<16 hex digits>, a directory owned by root (what privbind makes; a parent
// cgroup's owner can make a directory of that name, but not one of root's), not locked (a live
// watcher holds its flock), not populated, and still the directory checked when it is removed.
// Best effort: returns the names it removed.
std::vector<std::string> removeLeftovers(int parentDirFd);

}  // namespace privbind::cgroupmode
