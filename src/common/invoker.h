// Who started privbind, checked before anything else: privbind is a tool for root, never a way up.
#pragma once

#include "common/error.h"

namespace privbind::invoker {

// Refuses when privbind runs in secure-execution mode (getauxval(AT_SECURE), ld.so(8)): it was
// made setuid, setgid or given file capabilities, and whoever started it is not trusted with what
// it would hand out. Every action refuses, doctor included.
Status refuseSecureExecution();

// Refuses when the real uid is not 0: launching a command as another user is root's decision.
Status requireRealRoot();

}  // namespace privbind::invoker
