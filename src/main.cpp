// privbind: parse -> dispatch -> error to exit code. The only place that prints the final error.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/error.h"
#include "common/files.h"
#include "common/invoker.h"
#include "doctor/doctor.h"
#include "grants/grants.h"
#include "modes/broker/broker_mode.h"
#include "modes/caps/caps_mode.h"
#include "modes/cgroup/cgroup_mode.h"

namespace {

// help: the command whose --help a usage error points to.
int fail(const privbind::Error& error, const char* help = "privbind") {
  privbind::printError(error, help);
  return error.exitCode();
}

// -m auto: cgroup mode where this host can do it, otherwise broker mode. A broker-only option
// (-l, --no-target-check) has already made the parser choose broker mode (cli::parse); the rest
// is decided by cgroup mode's own probe (load the programs, create and enter the cgroup), which
// gives up cleanly before anything outlives it.
privbind::Error runAuto(const privbind::LaunchOptions& options) {
  using namespace privbind;
  std::string unavailable;
  Error error = cgroupmode::run(options, &unavailable);
  if (unavailable.empty()) return error;
  if (options.verbose)
    std::fprintf(stderr, "privbind: auto: broker mode, because cgroup mode is not available: %s\n",
                 unavailable.c_str());
  return broker::run(options);
}

int run(int argc, char** argv) {
  using namespace privbind;
  // First of all, before reading a single argument: a privbind made setuid, setgid or given file
  // capabilities refuses everything, doctor and --help included (getauxval(AT_SECURE)).
  if (auto s = invoker::refuseSecureExecution(); !s) return fail(s.error());
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
    case cli::Action::kGrants: {
      // grants: 0 in step, 1 drift; the rest 0 done; 125 (an Error) refused or failed.
      std::string help;
      auto status = grants::run(parsed->grantsCommand, parsed->grantsArgs, &help);
      return status ? *status : fail(status.error(), help.c_str());
    }
    case cli::Action::kRun:
      break;
  }
  // Only root starts commands as another user; doctor, --help and --version serve anyone.
  if (auto s = invoker::requireRealRoot(); !s) return fail(s.error());
  const LaunchOptions& options = parsed->options;
  // The checks that read this host's settings, apart from the pure parser.
  if (auto s = cli::validate(options, files::unprivilegedPortStart()); !s) return fail(s.error());
  // -m auto with a broker-only option: the parser chose broker mode and said why.
  if (options.verbose && !options.modeReason.empty())
    std::fprintf(stderr, "privbind: auto: broker mode, because %s\n", options.modeReason.c_str());
  // Each mode returns only when it could not run the command.
  switch (options.mode) {
    case Mode::kCaps:
      return fail(capsmode::run(options));
    case Mode::kBroker:
      return fail(broker::run(options));
    case Mode::kCgroup:
      return fail(cgroupmode::run(options, nullptr));
    case Mode::kAuto:
      break;
  }
  return fail(runAuto(options));
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
