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

// execvpe(3) of command with env. Returns only on failure: 127 when the command is not found,
// 126 when it is found but cannot be run, as env(1) does.
Error execCommand(const std::vector<std::string>& command, const Env& env);

}  // namespace privbind::launch
