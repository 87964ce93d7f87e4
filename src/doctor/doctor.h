// privbind doctor: explains why a service cannot bind or will not start, and fixes $ORIGIN
// RPATHs of binaries with file capabilities.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace privbind::doctor {

// args: everything after "doctor". Prints the report on stdout. Returns the exit status:
// 0 no problem found, 1 problems found; an Error (exit 125) when it could not inspect.
Result<int> run(const std::vector<std::string>& args);

}  // namespace privbind::doctor
