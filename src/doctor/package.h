// Which Debian package owns a file (dpkg-query -S): an upgrade of that package replaces the file
// and undoes setcap and --fix.
#pragma once

#include <string>

namespace privbind::doctor::package {

// The package name, or "" when no package owns path (or dpkg-query is not installed).
std::string ownerOf(const std::string& path);

}  // namespace privbind::doctor::package
