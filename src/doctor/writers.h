// Who, besides root, can change a file or swap it for another. A privileged program (file
// capabilities, setuid) is only as safe as the files and directories it is loaded from.
#pragma once

#include <string>

namespace privbind::doctor::writers {

// Why someone other than root could change the file at path (a real path) or swap it for
// another: the file or a directory above it is owned by another user, or writable by group or
// others (a sticky directory, like /tmp, protects the entries it holds). Empty when only root can.
std::string untrustedWriter(const std::string& path);

}  // namespace privbind::doctor::writers
