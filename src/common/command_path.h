// Which file a command name runs, as a given user finds it: the PATH search of execvp(3) done
// with that user's permissions, so that a PATH directory the user may not search (root's own,
// say) reads as "not there", exactly as when the launcher execs the command after dropping
// privileges.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/error.h"

namespace privbind::launch {

// The first candidate of pathCandidates(name) that uid:gid (no supplementary groups) can reach
// and execute, and that is a regular file; relative entries (an empty one is the working
// directory) are skipped. Checked in a child that takes those ids, so the
// kernel itself applies each directory's search permission; when this process may not change
// ids, it checks with its own. "" when none; an Error when the child could not be run.
Result<std::string> findCommandAs(const std::string& name, uid_t uid, gid_t gid);

}  // namespace privbind::launch
