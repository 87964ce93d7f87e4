// --fix: rewrites the $ORIGIN entries that secure-execution mode ignores into absolute paths.
#pragma once

#include <functional>
#include <optional>

#include "common/error.h"
#include "doctor/model.h"

namespace privbind::doctor::fix {

// Inspects the target again, exactly as doctor did the first time.
using Inspector = std::function<Result<Report>()>;

// Plans the fix for bin and, unless dryRun, applies it:
//  0. refuse, before any change, an entry ld.so would not read as written (relative, or with
//     ':' or '$'; ld.so(8)), a file others can change, and an existing FILE.privbind-orig;
//  1. keep the original as FILE.privbind-orig, created by this run (O_EXCL);
//  2. patchelf --set-rpath (with --force-rpath for a DT_RPATH, so that it stays DT_RPATH);
//  3. restore owner and mode if the rewrite changed them;
//  4. re-apply the file capabilities, which the write cleared (security.capability is removed
//     by the kernel on every write to the file);
//  5. read everything back and run inspectAgain(); on any difference or remaining problem the
//     original is put back (bytes, owner, mode, capabilities) and the fix fails.
// Needs root. Returns the plan/result, and in judged the report of the fixed file; an Error
// (exit 125) when it could not be done, with the file as it was.
Result<FixReport> apply(const BinaryReport& bin, bool dryRun, const Inspector& inspectAgain,
                        std::optional<Report>& judged);

}  // namespace privbind::doctor::fix
