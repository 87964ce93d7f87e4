// Running the few external tools doctor relies on (ldconfig, dpkg-query, patchelf, ld.so), with
// a fixed environment and no shell; and the small path and mode helpers doctor's files share.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/ids.h"

namespace privbind::doctor::tools {

struct Output {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};

// The tool's full path, searched in the system directories first and then in $PATH; empty when
// it is not installed.
std::string find(const std::string& name);

// Runs argv (argv[0] a full path) with PATH=/usr/sbin:/usr/bin:/sbin:/bin and LC_ALL=C, stdin
// from /dev/null. An Error only when it could not be started.
Result<Output> run(const std::vector<std::string>& argv);

// Runs argv as the target `as` (its groups, gid and uid; not changed when doctor is not root),
// with no_new_privs and exactly the environment env. The same otherwise.
Result<Output> runAs(const std::vector<std::string>& argv, const ids::Target* as,
                     const std::vector<std::string>& env);

// The directory part of a path, as dirname(1) says it: "." without a slash, "/" for "/x".
std::string dirOf(const std::string& path);
// The last component of a path: "java" for "/usr/bin/java".
std::string baseOf(const std::string& path);
// The canonical path (realpath(3)), or path itself when it cannot be resolved.
std::string realPathOr(const std::string& path);
// Whether path names something (after symlinks).
bool exists(const std::string& path);
// A regular file (after symlinks) with an execute bit set.
bool isExecutableFile(const std::string& path);
// A file mode's permission bits as chmod(1) takes them: "0755", "4755".
std::string octal(mode_t mode);

}  // namespace privbind::doctor::tools
