// What --fix would write: the RPATH/RUNPATH list with the $ORIGIN entries that secure-execution
// mode ignores replaced by the absolute directories they name.
#pragma once

#include <string>
#include <vector>

#include "doctor/model.h"

namespace privbind::doctor::fixplan {

// The entries of one kind ("RPATH"/"RUNPATH") that --fix would write, or none when nothing in
// it needs rewriting: $ORIGIN entries that secure-execution mode drops become the absolute
// directory they name, the others are kept as they are.
std::vector<std::string> fixedEntries(const BinaryReport& bin, const std::string& tag);

// The same, ':'-joined as DT_RPATH/DT_RUNPATH holds it; "" when nothing needs rewriting.
std::string fixedList(const BinaryReport& bin, const std::string& tag);

// Why entry must never be written into a DT_RPATH/DT_RUNPATH of a privileged file, or "" when
// it may: ld.so splits the list at ':', expands '$' sequences ($ORIGIN, $LIB, $PLATFORM) again
// and resolves a relative entry against the working directory (ld.so(8)), so any of them can
// hand the choice of a library to whoever picks a directory name or the working directory.
std::string unsafeEntry(const std::string& entry);

// The first entry --fix would write that unsafeEntry() or writers::entryWriter() refuses, as
// "DT_RPATH entry 'ENTRY': why"; "" if none.
std::string unsafeFix(const BinaryReport& bin);

}  // namespace privbind::doctor::fixplan
