// Small files the kernel writes (/proc, /sys), read whole, and the sysctl values privbind reads
// from them.
#pragma once

#include <string>

#include "common/error.h"

namespace privbind::files {

// Whole small file (/proc, /sys); errors name the path.
Result<std::string> readFile(const std::string& path);

// net.ipv4.ip_unprivileged_port_start of this network namespace, by the rule the preload shim
// also follows (common/kernel_limits.h); an Error when it cannot be read or is not a number.
Result<unsigned> readUnprivilegedPortStart();

// The same, or the kernel's default 1024 when it cannot be read: for the launcher and the
// broker helper, where a wrong guess only ever refuses a bind the kernel would have allowed or
// serves a port the user could bind anyway.
unsigned unprivilegedPortStart();

}  // namespace privbind::files
