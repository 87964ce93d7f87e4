#include "doctor/system_check.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/caps.h"
#include "common/elf.h"
#include "common/files.h"
#include "common/launch.h"
#include "common/proc_status.h"
#include "common/text.h"
#include "doctor/dlopen_probe.h"
#include "doctor/tools.h"
#include "modes/cgroup/cgroup_mode.h"
#include "privbind/version.h"

namespace privbind::doctor::syscheck {

ModeVerdict cgroupMode() {
  ModeVerdict cgroup{"cgroup", true, ""};
  if (auto probed = cgroupmode::probe(); !probed) {
    cgroup.works = false;
    cgroup.why = probed.error().message();
  }
  return cgroup;
}

void system(Report& report) {
  SystemReport s;
  struct utsname u {};
  if (uname(&u) == 0) s.kernel = std::string(u.sysname) + " " + u.release;
  s.ambient = caps::ambientSupported();
  s.unprivilegedPortStart = files::unprivilegedPortStart();
  s.euid = geteuid();
  int last = caps::lastCap();
  if (auto st = proc::readSelf()) {
    // Root usually holds every capability: say "all" rather than forty names.
    uint64_t full = last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
    auto describe = [&](uint64_t mask) {
      return (mask & full) == full ? std::string("all") : caps::names(mask, last);
    };
    s.capEff = describe(st->capEff);
    s.capPrm = describe(st->capPrm);
    s.capBnd = describe(st->capBnd);
    s.bindInBounding = (st->capBnd & caps::bit(caps::kNetBindService)) != 0;
    s.bindEffective = (st->capEff & caps::bit(caps::kNetBindService)) != 0;
    s.noNewPrivs = st->noNewPrivs;
    s.seccomp = st->seccomp;
  }

  // The shim: next to the privbind binary first (a build tree), then the installed one.
  s.shimSearched = launch::shimCandidates();
  for (const auto& p : s.shimSearched) {
    if (tools::exists(p)) {
      s.shimPath = p;
      break;
    }
  }
  if (!s.shimPath.empty()) {
    auto info = elf::read(s.shimPath);
    auto me = elf::read("/proc/self/exe");
    if (!info) {
      s.shimError = info.error().message();
    } else if (me && (info->elfClass != me->elfClass || info->machine != me->machine)) {
      s.shimError = "built for " + std::to_string(info->elfClass) + "-bit " + info->machineName +
                    ", privbind is " + std::to_string(me->elfClass) + "-bit " + me->machineName;
    } else {
      s.shimLoadable = probe::loadableInChild(s.shimPath, s.shimError);
    }
  }

  unsigned start = s.unprivilegedPortStart;
  if (start == 0) {
    report.add(
        Severity::kInfo, "ports-unprivileged",
        "net.ipv4.ip_unprivileged_port_start is 0: every port is unprivileged here, no tool is "
        "needed to bind any port");
  } else {
    report.add(Severity::kInfo, "unprivileged-port-start",
               "net.ipv4.ip_unprivileged_port_start is " + std::to_string(start) +
                   ": no tool needed for ports >= " + std::to_string(start) +
                   "; ports below it need CAP_NET_BIND_SERVICE");
  }
  // The three modes, judged as privbind would: cgroup mode by its own probe (the programs are
  // loaded, then closed; nothing on the host changes).
  ModeVerdict cgroup = cgroupMode();
  ModeVerdict broker{"broker", true, ""};
  ModeVerdict capsMode{"caps", true, ""};
  auto refuse = [](ModeVerdict& m, const std::string& why) {
    if (!m.works) return;
    m.works = false;
    m.why = why;
  };
  if (s.euid != 0) {
    refuse(broker, "privbind must run as root");
    refuse(capsMode, "privbind must run as root");
  }
  if (!s.bindInBounding) {
    refuse(broker, "cap_net_bind_service is not in the bounding set");
    refuse(capsMode, "cap_net_bind_service is not in the bounding set");
  }
  if (!s.ambient) refuse(capsMode, "no ambient capabilities (Linux 4.3 or later needed)");
  if (s.shimPath.empty())
    refuse(broker, "the preload library is missing");
  else if (!s.shimLoadable)
    refuse(broker, "the preload library does not load");
  s.modes = {cgroup, broker, capsMode};
  if (!cgroup.works)
    report.add(Severity::kInfo, "cgroup-mode-unavailable",
               "cgroup mode cannot work here (" + cgroup.why + "): -m auto uses broker mode");

  if (!s.bindInBounding) {
    report.add(cgroup.works ? Severity::kWarning : Severity::kProblem, "no-bind-capability",
               "CAP_NET_BIND_SERVICE is not in privbind's bounding set, as in some containers: "
               "neither caps mode nor broker mode can work (cgroup mode does not need it); give "
               "the container or service that capability");
  } else if (s.euid != 0) {
    report.add(
        Severity::kWarning, "not-root",
        "doctor runs as uid " + std::to_string(s.euid) +
            "; privbind itself runs as root, so run 'sudo privbind doctor' to check what it can "
            "do");
  } else if (!s.bindEffective) {
    report.add(Severity::kProblem, "no-bind-capability",
               "privbind runs as root but without CAP_NET_BIND_SERVICE in its effective set (" +
                   s.capEff + "): neither mode can work");
  }
  // What still works, the least privileged first: cgroup mode needs no capability at all.
  auto other = [&](const std::string& fallback) {
    return cgroup.works ? std::string("cgroup mode, the default, can") : fallback;
  };
  if (!s.ambient)
    report.add(
        Severity::kProblem, "no-ambient",
        "this kernel has no ambient capabilities (Linux 4.3 or later needed): caps mode cannot "
        "work; " +
            other("broker mode can"));
  if (s.noNewPrivs == 1)
    report.add(
        Severity::kInfo, "no-new-privs",
        "no_new_privs is already set on privbind: setuid programs run by the service will not "
        "gain privileges; privbind itself is not affected");
  if (s.seccomp == 2)
    report.add(
        Severity::kWarning, "seccomp-filter",
        "a seccomp filter is active on privbind; doctor cannot see its rules, and a filter that "
        "refuses setresuid, prctl, capset or bind will make privbind fail");
  if (s.shimPath.empty()) {
    const std::string where = text::join(s.shimSearched, ", ");
    report.add(Severity::kProblem, "shim-missing",
               "the preload library " + std::string(PRIVBIND_SHIM_NAME) + " is not in " + where +
                   ": broker mode cannot work (" + other("caps mode can") + ")");
  } else if (!s.shimLoadable) {
    report.add(Severity::kProblem, "shim-unloadable",
               "the preload library " + s.shimPath + " does not load: " + s.shimError +
                   ": broker mode cannot work (" + other("caps mode can") + ")");
  }
  report.system = std::move(s);
}

}  // namespace privbind::doctor::syscheck
