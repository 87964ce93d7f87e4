// privbind doctor's own command line (it shares nothing with src/cli).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace privbind::doctor {

struct Options {
  bool json = false;    // --json: machine-readable report on stdout
  bool fix = false;     // --fix: rewrite $ORIGIN entries that secure-execution mode ignores
  bool dryRun = false;  // --dry-run (with --fix): print the commands, change nothing
  bool help = false;    // -h/--help
  std::string target;   // path, command on PATH, or "java"; empty = the system
};

// args: everything after "doctor". Errors are usage errors.
Result<Options> parseOptions(const std::vector<std::string>& args);

std::string helpText();

}  // namespace privbind::doctor
