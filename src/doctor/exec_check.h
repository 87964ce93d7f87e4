// What execve(2) checks before any code of the program runs, asked of the real system where it
// can be (launch::executableAs: access(2) as the target user, in a child that took its ids) and
// never by running the target: every "#!" script and the program itself must be regular files
// the user may execute (mode bits, ACLs, noexec mounts, search permission on the way), a script's
// "#!" line must name an interpreter, the program must be a format this kernel runs (an ELF file
// of its own class and machine, or one its compat layer runs) and its ELF interpreter
// (PT_INTERP) must exist and be executable too.
#pragma once

#include "common/elf.h"
#include "common/error.h"
#include "common/ids.h"
#include "doctor/loader.h"
#include "doctor/model.h"

namespace privbind::doctor::execcheck {

// The files on the way (bin.scripts, then bin.path): sets bin.execFailure when the user may not
// execute one of them or the program is not a format the kernel runs (empty file, text without
// "#!"). Returns the program's ELF facts when it is an ELF file and nothing failed so far; an
// Error (exit 125) when doctor itself cannot read a file the user could run.
Result<std::optional<elf::Info>> files(BinaryReport& bin, const ids::Target& as);

// For an ELF program: sets bin.execFailure when this kernel cannot run its class and machine or
// its ELF interpreter is missing or not executable, bin.notJudged when doctor cannot tell (a
// compat layer or a binfmt_misc handler it does not know).
Status program(BinaryReport& bin, const elf::Info& info, const loader::Host& host,
               const ids::Target& as);

}  // namespace privbind::doctor::execcheck
