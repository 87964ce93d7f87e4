// The command's own pseudo-terminal. Started from a terminal (a root shell on a console, ssh or
// su), a command that kept root's terminal could push input into it (TIOCSTI), make itself its
// foreground process group (tcsetpgrp) or read what root types after it exited. So when any of
// fds 0-2 is a terminal, the command gets a pseudo-terminal of its own, and a small relay process
// without any privilege copies between the two (sudo's use_pty, su --pty).
#pragma once

#include "common/error.h"
#include "common/ids.h"
#include "common/supervisor.h"

namespace privbind::terminal {

// Whether isolate() will fork: one of fds 0-2 is a terminal.
bool wanted();

// launch::run() calls it for every mode after everything that must happen in privbind's own
// process (name lookups, the broker helper's and the cgroup watcher's start, -v), before the
// mode's last step as root (cgroup mode's check that the command is in its cgroup) and
// privdrop::drop().
//
// Needs: root with CAP_SETUID, CAP_SETGID and CAP_SETPCAP (privdrop::checkPreconditions() has
// passed for the command), fds 0-2 open; target: the command's credentials, which the relay also
// takes (without groups or capabilities).
//
// Leaves, when none of fds 0-2 is a terminal: nothing changed, returns an empty Birth in the same
// process, so that the command is exec'd in place with privbind's pid.
//
// Otherwise it forks:
//  - the parent becomes the relay and NEVER RETURNS. It closes every descriptor but 0-2 and the
//    pseudo-terminal's master (a broker lifeline included), drops to the target uid and gid (no
//    group, no capability in any set, empty bounding set, no_new_privs, non-dumpable: the command
//    can neither ptrace it nor open its descriptors through /proc), puts root's terminal in raw
//    mode while it is in the foreground, copies input and output, follows the window size, turns
//    ^Z into a stop of the command and of itself (fg continues both), passes termination signals
//    on, and exits with the command's status (128+N when the
//    command was killed by signal N, like a shell), the terminal restored;
//  - the child returns where it was made: born in the cgroup v2 directory commandCgroup when that
//    is >= 0 and clone3(2) could do it (supervisor::forkHeldBack; the relay stays in privbind's
//    cgroup either way), still root, in a new session whose controlling terminal is the
//    pseudo-terminal (owned by the target uid), whose slave has replaced each of fds 0-2 that was
//    a terminal (the others are untouched), with the signal mask it had on entry. The caller goes
//    on to drop and exec. The child goes on only once the relay is unprivileged and non-dumpable.
//    A failure in the child ends it with the one-line error and 125, which the relay reports.
//
// An Error is returned only before the fork, with nothing changed.
Result<supervisor::Birth> isolate(const ids::Target& target, int commandCgroup = -1);

}  // namespace privbind::terminal
