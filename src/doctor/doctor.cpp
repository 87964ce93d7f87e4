#include "doctor/doctor.h"

#include <cstdio>

#include "common/ids.h"
#include "common/launch.h"
#include "doctor/fix.h"
#include "doctor/inspect.h"
#include "doctor/loader.h"
#include "doctor/options.h"
#include "doctor/report.h"

namespace privbind::doctor {

namespace {

// Resolves and inspects target into a fresh report. With a user, a command name is found on PATH
// as that user would find it, by the launcher's own search (launch::resolveCommand).
Result<Report> inspectTarget(const std::string& target, const std::string& user,
                             const loader::Host& host) {
  Report report;
  std::string path = target;
  std::string found;
  if (!user.empty()) {
    auto as = ids::resolveTarget(user, "", false);
    if (!as) return as.error();
    if (target.find('/') == std::string::npos) {
      auto command = launch::resolveCommand(target, *as);
      if (!command) return command.error();
      path = command->path;
      found = "PATH as uid " + std::to_string(as->user.uid) + ": " + path;
    }
  }
  auto bin = inspect::resolveTarget(path);
  if (!bin) return bin.error();
  if (!found.empty()) {
    bin->query = target;
    bin->chain.insert(bin->chain.begin(), found);
  }
  if (auto s = inspect::binary(*bin, host, report); !s) return s.error();
  report.binary = std::move(*bin);
  return report;
}

}  // namespace

Result<int> run(const std::vector<std::string>& args) {
  auto opts = parseOptions(args);
  if (!opts) return opts.error();
  if (opts->help) {
    std::fputs(helpText().c_str(), stdout);
    return 0;
  }

  Report report;
  if (opts->target.empty()) {
    inspect::system(report);
  } else {
    loader::Host host = loader::probeHost();
    auto inspected = inspectTarget(opts->target, opts->user, host);
    if (!inspected) return inspected.error();
    report = std::move(*inspected);
    if (opts->fix) {
      auto fixed = fix::apply(*report.binary, opts->dryRun);
      if (!fixed) return fixed.error();
      if (fixed->status == "applied") {
        // Judge the file as it is now, not as it was.
        auto after = inspectTarget(opts->target, opts->user, host);
        if (!after) return after.error();
        report = std::move(*after);
      }
      report.binary->fix = std::move(*fixed);
    }
  }

  std::string out = opts->json ? report::json(report) : report::text(report);
  // A report that did not reach its reader (a full disk, a closed pipe) is "could not inspect",
  // not "clean": exit 125 rather than 0.
  if (std::fputs(out.c_str(), stdout) == EOF || std::fflush(stdout) != 0)
    return Error::fromErrno("writing the report", errno);
  return report.problems() ? 1 : 0;
}

}  // namespace privbind::doctor
