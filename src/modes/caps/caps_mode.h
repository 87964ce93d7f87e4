// Caps mode: the command runs as the target user with CAP_NET_BIND_SERVICE as its one, ambient,
// capability (capabilities(7): ambient capabilities survive execve of unprivileged programs).
#pragma once

#include "common/error.h"
#include "common/options.h"

namespace privbind::capsmode {

// Drops to the target user and execs the command in place. Returns only on failure.
Error run(const LaunchOptions& options);

}  // namespace privbind::capsmode
