// The last steps before the command runs: its environment, and execve in place.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/ids.h"
#include "common/options.h"

namespace privbind::launch {

using Env = std::vector<std::string>;  // "NAME=value"

// This process's environment.
Env currentEnvironment();
// Sets NAME=value, replacing an earlier NAME.
void setVar(Env& env, const std::string& name, const std::string& value);
const std::string* getVar(const Env& env, const std::string& name);
// HOME, USER and LOGNAME of the target, as su(1), runuser(1) and systemd's User= set them. A uid
// without passwd entry gets USER=LOGNAME=<uid> and HOME=/.
void describeUser(Env& env, const ids::User& user);

// Where a command name is looked for: DIR/name for each entry of $PATH, in order (an empty entry
// is the current directory, as for execvp(3)); the name itself when it contains a '/'.
std::vector<std::string> pathCandidates(const std::string& name);

// Where the preload shim is looked for when -l is not given: next to the running binary (a build
// tree), then its installed place. No environment variable: root's environment must not choose
// a library that will run inside the command.
std::vector<std::string> shimCandidates();

// COMMAND as the target will run it: the one file privbind checks, names with -v and executes.
struct Command {
  std::string name;          // as given on the command line
  std::string path;          // the file: name itself when it contains a '/', else DIR/name
  bool searched = false;     // found on PATH
  std::string cwd;           // privbind's working directory, which COMMAND inherits
  bool cwdEnterable = true;  // the target may search it (relative paths work)
};

// Looks name up the way execvp(3) would as the target: each $PATH directory (default
// /usr/local/bin:/usr/bin:/bin) is searched with the target's uid, gid and groups, so that a
// directory only root may search (0700) hides its programs as it will for the command, and ACLs
// and noexec mounts count. The search runs in a child that takes the target's ids and exits;
// privbind itself changes nothing. A relative entry (empty, ".", "bin") that the search reaches
// is refused: it would run whatever lies in the working directory. Errors: 127 not found, 126
// found but not executable by the target, 125 otherwise. Needs CAP_SETUID and CAP_SETGID; a
// process that is not root (doctor run by an ordinary user) searches with its own ids. The one
// PATH search of privbind: the launcher's modes and doctor's TARGET lookup both use it.
Result<Command> resolveCommand(const std::string& name, const ids::Target& as);

// For each file, what execve(2)'s own checks say before any program code runs, as the target
// (its uid, gid and groups, in a child like resolveCommand's search): 0 when the target may
// execute it, else the errno: ENOENT/ENOTDIR/ELOOP from the path walk, EACCES for a directory on
// the way it may not search, for anything but a regular file, for missing execute permission
// (mode bits and ACLs) or a noexec mount. Nothing is executed. Not root: checks with our own ids.
Result<std::vector<int>> executableAs(const std::vector<std::string>& files, const ids::Target& as);

// stderr: the one-line warning when the target cannot enter the working directory, and with
// verbose the file that will run.
void reportCommand(const Command& command, const ids::Target& as, bool verbose);

// The limits in force, for the -v banner: "ports 80,443; 2 privileged binds; SO_REUSEPORT on 443",
// or "none (any reserved port, any number of binds)".
std::string limitsText(const LaunchOptions& options);

// execve(2) of command.path with argv and env. Returns only on failure: 127 when it is not
// found, 126 when it is found but cannot be run (a missing #! or ELF interpreter is named).
Error execCommand(const Command& command, const std::vector<std::string>& argv, const Env& env);

}  // namespace privbind::launch
