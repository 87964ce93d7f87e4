// The command lines of `privbind grant`, `privbind revoke` and `privbind grants [apply|off]`:
// one table (options.cpp), parsed by the launcher's machinery (src/cli/argtable.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ports.h"

namespace privbind::grants {

enum class Verb { kGrant, kRevoke, kStatus, kApply, kOff };

struct Options {
  Verb verb = Verb::kStatus;
  bool help = false;
  std::string user;                     // -u
  std::string group;                    // -g
  std::optional<ports::PortSet> ports;  // -p
  bool tcp = false, udp = false;        // neither: both
  bool anyNetns = false;                // --any-netns (grant)
  bool json = false;                    // --json (grants)
};

// word: "grant", "revoke" or "grants"; args: the words after it. Errors are usage errors; the
// caller adds "Try '<helpCommand(word)> --help'."
Result<Options> parseOptions(const std::string& word, const std::vector<std::string>& args);

// Whether word is one of the three commands.
bool isCommand(const std::string& word);

std::string helpText(Verb verb);

// "privbind grant", for "Try 'privbind grant --help'."
std::string helpCommand(Verb verb);

// The option table of one command, for the tests that hold help, man page and completion
// against it. word: "grant", "revoke" or "grants".
struct OptionInfo {
  char shortName;
  std::string longName;
  bool takesValue;
};
std::vector<OptionInfo> optionTable(const std::string& word);

}  // namespace privbind::grants
