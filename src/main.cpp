// privbind: parse -> dispatch -> error to exit code. The only place that prints the final error.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/error.h"
#include "common/proc_status.h"
#include "doctor/doctor.h"
#include "modes/broker/broker_mode.h"
#include "modes/caps/caps_mode.h"

namespace {

// help: the command whose --help a usage error points to.
int fail(const privbind::Error& error, const char* help = "privbind") {
  std::fprintf(stderr, "privbind: %s\n", error.message().c_str());
  if (error.isUsage()) std::fprintf(stderr, "Try '%s --help'.\n", help);
  return error.exitCode();
}

int run(int argc, char** argv) {
  using namespace privbind;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = cli::parse(args);
  if (!parsed) return fail(parsed.error());
  switch (parsed->action) {
    case cli::Action::kHelp:
      std::fputs(cli::helpText().c_str(), stdout);
      return kExitOk;
    case cli::Action::kVersion:
      std::fputs(cli::versionText().c_str(), stdout);
      return kExitOk;
    case cli::Action::kDoctor: {
      // doctor prints its own report; 0 clean, 1 findings, 125 (an Error) could not inspect.
      auto status = doctor::run(parsed->doctorArgs);
      return status ? *status : fail(status.error(), "privbind doctor");
    }
    case cli::Action::kRun:
      break;
  }
  LaunchOptions& options = parsed->options;
  // The checks that read this host's settings, apart from the pure parser.
  if (auto s = cli::validate(options, proc::unprivilegedPortStart()); !s) return fail(s.error());
  // For the lead: until cgroup mode is merged, auto and cgroup run broker mode. The cgroup
  // branch replaces this with its probe (auto) and its launcher (cgroup).
  if (options.mode == Mode::kAuto || options.mode == Mode::kCgroup) options.mode = Mode::kBroker;
  if (options.verbose && !options.modeReason.empty())
    std::fprintf(stderr, "privbind: mode: broker, because %s\n", options.modeReason.c_str());
  // Each mode returns only when it could not run the command.
  Error error = options.mode == Mode::kCaps ? capsmode::run(options) : broker::run(options);
  return fail(error);
}

}  // namespace

// An exception (std::bad_alloc, say) must not end privbind with abort(): it is a failure of
// privbind like any other, reported on one line with exit code 125, before any exec.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "privbind: %s\n", e.what());
  } catch (...) {
    std::fputs("privbind: unexpected exception\n", stderr);
  }
  return privbind::kExitFailure;
}
