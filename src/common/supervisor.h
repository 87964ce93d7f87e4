// A parent that stays behind the command to pass signals on to it (the terminal relay, cgroup
// mode's pid-namespace init): its credentials, the fork that holds the command back, and the
// drop that lets it go.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/ids.h"
#include "common/privdrop.h"
#include "common/unique_fd.h"

namespace privbind::supervisor {

// The command's uid and gid, so that it can signal the command and nothing else can signal it;
// no group, no capability, no_new_privs. docs/SECURITY.md says why.
Result<privdrop::CheckedPlan> plan(const ids::Target& target);

struct Fork {
  pid_t child = -1;  // 0 in the child
  UniqueFd ready;    // the parent's write end, or the child's read end
};

// Makes the ready pipe, blocks `blocked` (so that no signal is lost or acted on by default
// before the parent's signalfd exists) and forks. The child gets its signal mask back at once;
// the parent keeps the signals blocked. When the fork fails the mask is restored.
Result<Fork> forkHeldBack(const sigset_t& blocked);

// In the child: waits for the parent's byte. Without it the parent failed and said so, and the
// child exits with 125.
void awaitGo(UniqueFd ready);

// In the parent, with only what it keeps still open: non-dumpable, the plan's drop, checked
// non-dumpable again, then one byte on ready lets the child go. Any failure kills the child and
// ends the process (exitWith); `who` names it in the message.
void dropAndRelease(pid_t child, UniqueFd ready, const privdrop::CheckedPlan& plan,
                    const char* who);

}  // namespace privbind::supervisor
