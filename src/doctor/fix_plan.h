// What --fix would write: the RPATH/RUNPATH list with the $ORIGIN entries that secure-execution
// mode ignores replaced by the absolute directories they name.
#pragma once

#include <string>

#include "doctor/model.h"

namespace privbind::doctor::fixplan {

// The fixed list of one kind ("RPATH"/"RUNPATH") that --fix would write, or "" when nothing in
// it needs rewriting.
std::string fixedList(const BinaryReport& bin, const std::string& tag);

}  // namespace privbind::doctor::fixplan
