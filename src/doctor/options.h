// privbind doctor's own command line: one table, parsed by the launcher's machinery
// (src/cli/argtable.h), with its own help.
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
  std::string user;     // -u: look TARGET up on PATH as this user would (as the launcher does)
  std::string target;   // path, command on PATH, or "java"; empty = the system
};

// args: everything after "doctor". Errors are usage errors ("Try 'privbind doctor --help'.").
Result<Options> parseOptions(const std::vector<std::string>& args);

std::string helpText();

// The option table as data, for the tests that hold help, man page and completion against it.
struct OptionInfo {
  char shortName;  // 0 when there is none
  std::string longName;
  bool takesValue;
};
std::vector<OptionInfo> optionTable();

}  // namespace privbind::doctor
