// cli::parse on hostile argv: the input is split at NUL bytes into arguments. Invariants: no
// exception escapes (the parser is meant to throw nothing), every failure is a usage error with a
// reason, and a successful run has a user, a command and non-empty port lists.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace privbind;
  std::vector<std::string> args(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\0') {
      if (args.size() == 64) break;
      args.emplace_back();
    } else {
      args.back().push_back(static_cast<char>(data[i]));
    }
  }
  if (size == 0) args.clear();
  auto parsed = cli::parse(args);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().isUsage());
    FUZZ_CHECK(!parsed.error().why().empty());
    FUZZ_CHECK(parsed.error().exitCode() == kExitFailure);
    return 0;
  }
  if (parsed->action != cli::Action::kRun) return 0;
  const LaunchOptions& o = parsed->options;
  FUZZ_CHECK(!o.user.empty());
  FUZZ_CHECK(!o.command.empty());
  if (o.ports) FUZZ_CHECK(!o.ports->empty());
  if (o.reuseport) FUZZ_CHECK(!o.reuseport->empty());
  if (o.binds) FUZZ_CHECK(*o.binds > 0);
  if (o.mode == Mode::kCaps) FUZZ_CHECK(!o.ports && !o.reuseport && !o.binds && o.preload.empty());
  if (o.mode == Mode::kCgroup) FUZZ_CHECK(o.preload.empty() && !o.noTargetCheck);
  if (o.mode == Mode::kAuto) FUZZ_CHECK(o.preload.empty() && !o.noTargetCheck);
  return 0;
}
