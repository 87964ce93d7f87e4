// The last steps before the command runs: its environment, and execve in place.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/ids.h"

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

// execvpe(3) of command with env. Returns only on failure: 127 when the command is not found,
// 126 when it is found but cannot be run, as env(1) does.
Error execCommand(const std::vector<std::string>& command, const Env& env);

}  // namespace privbind::launch
