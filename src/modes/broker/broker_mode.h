// Broker mode: the command runs with no capability; a preload shim sends privileged binds to a
// helper that holds only CAP_NET_BIND_SERVICE.
#pragma once

#include "common/error.h"
#include "common/options.h"

namespace privbind::broker {

// Starts the helper, drops to the target user and execs the command in place. Returns only on
// failure.
Error run(const LaunchOptions& options);

}  // namespace privbind::broker
