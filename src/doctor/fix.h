// --fix: rewrites the $ORIGIN entries that secure-execution mode ignores into absolute paths.
#pragma once

#include "common/error.h"
#include "doctor/model.h"

namespace privbind::doctor::fix {

// Plans the fix for bin and, unless dryRun, applies it:
//  1. keep the original as FILE.privbind-orig (owner, mode and file capabilities kept);
//  2. patchelf --set-rpath (with --force-rpath for a DT_RPATH, so that it stays DT_RPATH);
//  3. restore owner and mode if the rewrite changed them;
//  4. re-apply the file capabilities, which the write cleared (security.capability is removed
//     by the kernel on every write to the file);
//  5. read everything back and refuse to report success on any difference.
// Returns the plan/result; an Error (exit 125) when it could not be done.
Result<FixReport> apply(const BinaryReport& bin, bool dryRun);

}  // namespace privbind::doctor::fix
