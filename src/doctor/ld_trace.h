// The system's own ld.so, asked where it finds each library of a program, as the target user:
// `ld.so --list PROGRAM` maps the program and its libraries and prints where each came from.
//
// Why this runs none of the target's code: the program is not exec'd; the system ld.so (the
// one privbind itself runs under, a root-owned file) is, and in --list mode it maps the objects,
// prints the list and exits before relocation, so no constructor, IFUNC resolver or init
// function of the program or a library runs (checked by a test with a library whose constructor
// and IFUNC resolver would leave a file). It runs only for a dynamic ELF file of this host's
// architecture whose PT_INTERP is that same ld.so (never a static file, never another loader,
// which could ignore --list), as the target user (its uid, gid and groups: libraries it may not
// read are skipped as they are when the program runs), with no_new_privs and an environment of
// LD_LIBRARY_PATH alone. It cannot reproduce secure-execution mode (AT_SECURE comes from the
// kernel's exec of a privileged file): that mode stays the model's (loader.h).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/elf.h"
#include "common/ids.h"
#include "doctor/loader.h"

namespace privbind::doctor::ldtrace {

// Each library ld.so loads for the program in normal mode, in its order: soname -> path, "" when
// it is not found. nullopt when ld.so was not asked (another loader) or gave no usable answer.
std::optional<std::vector<std::pair<std::string, std::string>>> normalLoad(const elf::Info& info,
                                                                           const std::string& path,
                                                                           const loader::Host& host,
                                                                           const ids::Target& as);

}  // namespace privbind::doctor::ldtrace
