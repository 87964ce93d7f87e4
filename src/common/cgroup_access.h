// Why root cannot create a cgroup in a cgroup v2 directory, in words that say what is missing and
// what to add. Used by cgroup mode (its refusal, and auto's reason to fall back) and by doctor.
#pragma once

#include <string>

#include "common/error.h"

namespace privbind::cgroupaccess {

// dir: the cgroup v2 directory privbind would create its cgroup in. err: the errno with which
// access(dir, W_OK) failed. Returns the refusal, "<dir>: <why>", e.g.
//   /sys/fs/cgroup/unified: mode 0555, owned by root: creating a cgroup there needs
//   CAP_DAC_OVERRIDE, which is not in privbind's bounding set; add it there (a systemd unit's
//   CapabilityBoundingSet=, capsh --drop=..., a container's --cap-add)
// Reads only: stat(2) of dir and this process's capability sets.
Error cannotCreateIn(const std::string& dir, int err);

}  // namespace privbind::cgroupaccess
