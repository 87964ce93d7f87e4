// Who, besides root, can change a file or swap it for another. A privileged program (file
// capabilities, setuid) is only as safe as the files and directories it is loaded from.
#pragma once

#include <string>

namespace privbind::doctor::writers {

// Why someone other than root could change the file at path (a real path) or swap it for
// another: the file or a directory above it is owned by another user, or writable by group or
// others (a sticky directory, like /tmp, protects the entries it holds). Empty when only root can.
std::string untrustedWriter(const std::string& path);

// Why someone other than root could put a library into the directory entry names, or "" when
// only root can: it, a directory or symlink on the way to it, or the directory it resolves to
// belongs to another user; it is writable by group or others; or it does not exist and the
// directory where it would be created is writable by others. A sticky directory protects
// root's existing entries from rename and removal (rename(2), unlink(2)) but not a missing name
// from being created, and anyone may add files to a sticky library directory.
std::string entryWriter(const std::string& entry);

}  // namespace privbind::doctor::writers
