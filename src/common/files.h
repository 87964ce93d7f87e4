// Small files the kernel writes (/proc, /sys), read whole, and the sysctl values privbind reads
// from them.
#pragma once

#include <string>

#include "common/error.h"

namespace privbind::files {

// Whole small file (/proc, /sys); errors name the path.
Result<std::string> readFile(const std::string& path);

// net.ipv4.ip_unprivileged_port_start, or 1024 when it cannot be read.
unsigned unprivilegedPortStart();

}  // namespace privbind::files
