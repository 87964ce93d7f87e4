// The command line: argv -> LaunchOptions, with no system calls. One table (cli.cpp) describes
// every option; src/cli/argtable.h turns it into the parser and the help text.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/options.h"

namespace privbind::cli {

enum class Action { kRun, kHelp, kVersion, kDoctor, kGrants };

struct Parsed {
  Action action = Action::kRun;
  LaunchOptions options;
  std::vector<std::string> doctorArgs;  // everything after "doctor"
  // kGrants: "grant", "revoke" or "grants", and everything after it.
  std::string grantsCommand;
  std::vector<std::string> grantsArgs;
};

// args: argv without argv[0]. A failure is a usage error: the caller adds "Try 'privbind --help'."
Result<Parsed> parse(const std::vector<std::string>& args);

// The checks that need a fact of this host, made after parse(): -p and -r name only reserved
// ports (below net.ipv4.ip_unprivileged_port_start, passed in). Failures are usage errors.
Status validate(const LaunchOptions& options, unsigned unprivilegedPortStart);

std::string helpText();
std::string versionText();

// The modes an option is accepted in (OptionInfo::modes); auto accepts what broker or cgroup does.
inline constexpr unsigned kInBroker = 1;
inline constexpr unsigned kInCgroup = 2;
inline constexpr unsigned kInCaps = 4;

// The option table as data, for the tests that hold the help, the man page and the bash
// completion against it.
struct OptionInfo {
  char shortName;        // 0 when there is none
  std::string longName;  // without "--"
  bool takesValue;
  unsigned modes;
};
std::vector<OptionInfo> optionTable();
// The values -m accepts, in the order the help lists them.
std::vector<std::string> modeNames();

}  // namespace privbind::cli
