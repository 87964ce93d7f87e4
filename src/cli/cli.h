// The command line: argv -> LaunchOptions, with no system calls. CLI11 stays inside this module.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/options.h"

namespace privbind::cli {

enum class Action { kRun, kHelp, kVersion, kDoctor };

struct Parsed {
  Action action = Action::kRun;
  LaunchOptions options;
  std::vector<std::string> doctorArgs;  // everything after "doctor"
};

// args: argv without argv[0]. A failure is a usage error: the caller adds "Try 'privbind --help'."
Result<Parsed> parse(const std::vector<std::string>& args);

std::string helpText();
std::string versionText();

}  // namespace privbind::cli
