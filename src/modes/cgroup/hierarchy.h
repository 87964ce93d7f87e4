// Where privbind's own cgroup v2 directory is: pure parsers of /proc/self/mountinfo and
// /proc/self/cgroup (proc(5), cgroups(7)), and the names privbind gives its cgroups.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace privbind::cgroupmode {

struct Cgroup2Mount {
  std::string root;        // the mount's root inside the hierarchy ("/" for a full mount)
  std::string mountPoint;  // where it is mounted, escapes decoded
  bool readOnly = false;   // mounted "ro"
};

// The first cgroup2 mount in mountinfo text whose root contains cgroupPath (a hybrid host mounts
// v2 apart from the v1 controllers, e.g. at /sys/fs/cgroup/unified).
Result<Cgroup2Mount> findCgroup2Mount(std::string_view mountinfo, std::string_view cgroupPath);

// The "0::PATH" line of /proc/self/cgroup: this process's cgroup in the v2 hierarchy.
Result<std::string> parseV2Path(std::string_view procSelfCgroup);

// mountPoint + cgroupPath below the mount's root: the directory of that cgroup.
Result<std::string> cgroupDirectory(const Cgroup2Mount& mount, std::string_view cgroupPath);

// Whether /proc/self/uid_map maps every uid to itself (the initial user namespace, or one
// equivalent to it): only then are the uids privbind resolves the ones the BPF program sees.
bool isIdentityUidMap(std::string_view uidMap);

// privbind-<pid>-<16 hex digits>: the name of a cgroup privbind makes, and the test for one.
std::string cgroupName(int pid, uint64_t random);
bool isCgroupName(std::string_view name);

}  // namespace privbind::cgroupmode
