#include "doctor/doctor.h"

#include <cstdio>

#include "common/ids.h"
#include "doctor/fix.h"
#include "doctor/loader.h"
#include "doctor/options.h"
#include "doctor/report.h"
#include "doctor/resolve.h"
#include "doctor/system_check.h"
#include "doctor/verdicts.h"
#include "grants/status.h"

namespace privbind::doctor {

namespace {

// Resolves and inspects target into a fresh report. A command name is found on PATH by the
// launcher's own search (launch::resolveCommand), as user (-u) or an ordinary user would find it.
Result<Report> inspectTarget(const std::string& target, const std::string& user,
                             const loader::Host& host, const ModeVerdict& cgroup) {
  Report report;
  std::optional<ids::Target> as;
  if (!user.empty()) {
    auto resolved = ids::resolveTarget(user, "", false);
    if (!resolved) return resolved.error();
    as = std::move(*resolved);
  }
  auto bin = resolve::target(target, as);
  if (!bin) return bin.error();
  verdicts::Context ctx{host, as ? *as : resolve::defaultUser(), cgroup};
  if (auto s = verdicts::judge(*bin, ctx, report); !s) return s.error();
  report.binary = std::move(*bin);
  return report;
}

// Standing grants (privbind grant): what is granted, and whether the kernel enforces the file;
// with -u, whether one of them lets that user bind without any launcher.
void addStandingGrants(Report& report, const std::string& user) {
  if (!user.empty()) {
    auto u = ids::resolveUser(user);
    std::string ports = u && u->hasPasswd ? grants::enforcedFor(u->uid, u->gid) : "";
    if (ports.empty()) return;
    report.add(Severity::kInfo, "standing-grant",
               "a standing grant lets " + user + " bind " + ports +
                   " with any program, started without privbind (privbind grants)");
    // One more reason the program binds on its own, for these ports only.
    if (report.binary && report.binary->startsAsUser) {
      report.binary->bindsBecause.push_back("a standing grant of " + user + "'s: " + ports +
                                            " only");
      report.binary->bindsAsUser = true;
    }
    return;
  }
  auto v = grants::doctorView();
  for (const auto& g : v.grants)
    report.add(Severity::kInfo, "standing-grant", "standing grant: " + g);
  if (!v.inspected)
    report.add(Severity::kInfo, "standing-grants-unread",
               "standing grants not checked: " + v.error);
  for (const auto& d : v.drift)
    report.add(Severity::kProblem, "standing-grants-drift", "standing grants: " + d);
}

}  // namespace

Result<int> run(const std::vector<std::string>& args) {
  auto opts = parseOptions(args);
  if (!opts) return opts.error();
  if (opts->help) {
    std::fputs(helpText().c_str(), stdout);
    return 0;
  }

  // With --json a script reads stdout: when doctor cannot inspect (exit 125) it still gets one
  // JSON object there, next to the usual line on stderr.
  auto failed = [&](const Error& e) -> Result<int> {
    if (opts->json) {
      std::string out = report::jsonError(e);
      (void)std::fputs(out.c_str(), stdout);
      (void)std::fflush(stdout);
    }
    return e;
  };

  Report report;
  if (opts->target.empty()) {
    syscheck::system(report);
    addStandingGrants(report, "");
  } else {
    loader::Host host = loader::probeHost();
    const ModeVerdict cgroup = syscheck::cgroupMode();
    auto inspected = inspectTarget(opts->target, opts->user, host, cgroup);
    if (!inspected) return failed(inspected.error());
    report = std::move(*inspected);
    if (opts->fix) {
      // The fix judges the file as it is after the rewrite with this same inspection, and
      // that report is the one printed.
      std::optional<Report> after;
      auto fixed = fix::apply(
          *report.binary, opts->dryRun,
          [&] { return inspectTarget(opts->target, opts->user, host, cgroup); }, after);
      if (!fixed) return failed(fixed.error());
      if (after) report = std::move(*after);
      report.binary->fix = std::move(*fixed);
    }
    // A target's report says whether a standing grant covers -u USER; the host's grants and
    // their drift belong to the host's report (no target), not to a verdict on this file.
    if (!opts->user.empty()) addStandingGrants(report, opts->user);
  }

  std::string out = opts->json ? report::json(report) : report::text(report);
  // A report that did not reach its reader (a full disk, a closed pipe) is "could not inspect",
  // not "clean": exit 125 rather than 0.
  if (std::fputs(out.c_str(), stdout) == EOF || std::fflush(stdout) != 0)
    return Error::fromErrno("writing the report", errno);
  return report.problems() ? 1 : 0;
}

}  // namespace privbind::doctor
