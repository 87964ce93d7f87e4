// The report as one screen of text for people.
#include <cstdio>

#include "common/text.h"
#include "doctor/report.h"
#include "doctor/tools.h"

namespace privbind::doctor::report {

std::string text(const Report& r) {
  std::string o;
  auto line = [&](const std::string& label, const std::string& value) {
    std::string l = "  " + label + ":";
    if (l.size() < 16) l.resize(16, ' ');
    o += l + value + "\n";
  };
  if (r.system) {
    const SystemReport& s = *r.system;
    o += "System\n";
    line("kernel",
         s.kernel + (s.ambient ? ", ambient capabilities supported" : ", NO ambient capabilities"));
    // What the value means is said once, in the note below.
    line("port start",
         "net.ipv4.ip_unprivileged_port_start = " + std::to_string(s.unprivilegedPortStart));
    line("privbind", "uid " + std::to_string(s.euid) + ", effective " + s.capEff);
    line("bounding set",
         s.bindInBounding ? "has cap_net_bind_service" : "LACKS cap_net_bind_service");
    line("no_new_privs", s.noNewPrivs == 1 ? "set" : s.noNewPrivs == 0 ? "not set" : "unknown");
    line("seccomp", s.seccomp == 0   ? "none"
                    : s.seccomp == 1 ? "strict"
                    : s.seccomp == 2 ? "filter active"
                                     : "unknown");
    line("preload shim", s.shimPath.empty() ? "NOT FOUND"
                         : s.shimLoadable   ? s.shimPath + " (loads)"
                                            : s.shimPath + " (DOES NOT LOAD: " + s.shimError + ")");
    for (const auto& m : s.modes)
      line(m.name + " mode", m.works ? "works" : "DOES NOT WORK: " + m.why);
  }
  if (r.binary) {
    const BinaryReport& b = *r.binary;
    const elf::Info& i = b.info;
    o += "Target " + b.path + "\n";
    for (const auto& c : b.chain) line("found", c);
    for (const auto& sc : b.scripts)
      line("script",
           sc.path + " runs #!" + sc.interpreter +
               (sc.fileCaps.empty() ? ""
                                    : " (its file capabilities " + sc.fileCaps + " are ignored)"));
    if (!b.execFailure.empty()) line("execve", "FAILS: " + b.execFailure);
    if (i.elfClass != 0)
      line("ELF", std::to_string(i.elfClass) + "-bit " + i.machineName + ", " +
                      (i.dynamic ? "dynamic (interpreter " + i.interpreter + ")" : "static") +
                      (i.isGo ? ", Go program" : ", not Go"));
    const bool there = tools::exists(b.path);
    if (there) {
      line("file", tools::octal(b.mode) + " uid " + std::to_string(b.owner) + " gid " +
                       std::to_string(b.group) + (b.setuid ? ", SETUID" : "") +
                       (b.setgid ? ", SETGID" : "") +
                       (b.package.empty() ? "" : ", from package " + b.package));
      line("capabilities", b.fileCaps.empty() ? "none" : b.fileCaps);
    }
    if (!b.capsIgnoredWhy.empty()) line("", "IGNORED by the kernel: " + b.capsIgnoredWhy);
    if (there)
      line("secure mode",
           b.secure ? "yes: an ordinary user's exec gets AT_SECURE (ld.so(8))" : "no");
    for (const auto& e : b.entries) {
      std::string v = "'" + e.secure.entry + "'";
      if (e.secure.usesOrigin) v += " uses $ORIGIN";
      if (e.secure.usesLib) v += " uses $LIB";
      if (e.secure.usesPlatform) v += " uses $PLATFORM";
      v += "\n                  normal: " + (e.normal.dropped ? "ignored" : e.normal.expanded);
      v += "\n                  secure: " +
           (e.secure.dropped ? "IGNORED (" + e.secure.reason + ")" : e.secure.expanded);
      if (!e.secure.dropped && e.secure.relative) v += " (" + e.secure.reason + ")";
      line(e.tag, v);
    }
    for (const auto& l : b.libs) {
      std::string v = l.name +
                      "\n                  normal: " + (l.normal.empty() ? "NOT FOUND" : l.normal) +
                      "\n                  secure: " + (l.secure.empty() ? "NOT FOUND" : l.secure);
      line("NEEDED", v);
    }
    if (b.jdk) {
      std::string v = b.jdk->home + ", JDK " + b.jdk->layout + " layout (" + b.jdk->libjli + ")";
      line("JDK", v);
      const std::string launchers = text::join(b.jdk->launchersWithCaps, ", ");
      line("launchers", launchers.empty() ? "none in bin/ carries file capabilities"
                                          : "with file capabilities: " + launchers);
    }
    o += "Verdicts\n";
    if (!b.checked) {
      o += "  not judged: " + b.notJudged + "\n";
    } else {
      std::string with = !b.fileCaps.empty()    ? " with its file capabilities"
                         : b.setuid || b.setgid ? " (set-user/group-ID)"
                                                : "";
      o += std::string("  ") + (b.startsAsUser ? "[ok]  " : "[FAIL]") +
           " starts when an ordinary user runs it" + with + "\n";
      o += std::string("  ") + (b.bindsAsUser ? "[ok]  " : "[no]  ") +
           " binds reserved ports on its own" +
           (b.bindsAsUser ? " (" + text::join(b.bindsBecause, "; ") + ")"
                          : std::string(" (no capability of its own)")) +
           "\n";
      o += std::string("  ") + (b.cgroupWorks ? "[ok]  " : "[no]  ") +
           " cgroup mode works (privbind -u USER ..., the default)\n";
      o += std::string("  ") + (b.brokerWorks ? "[ok]  " : "[no]  ") +
           " broker mode reaches its binds (privbind --mode=broker -u USER ...)\n";
      o += std::string("  ") + (b.capsWorks ? "[ok]  " : "[no]  ") +
           " caps mode works (privbind --mode=caps -u USER ...)\n";
    }
  }
  bool any = false;
  for (const auto& f : r.findings) {
    if (f.severity == Severity::kInfo) continue;
    if (!any) o += "Findings\n";
    any = true;
    o += std::string("  ") + (f.severity == Severity::kProblem ? "PROBLEM: " : "warning: ") +
         f.message + "\n";
  }
  for (const auto& f : r.findings)
    if (f.severity == Severity::kInfo) o += "  note: " + f.message + "\n";
  if (r.binary && !r.binary->recommended.empty()) {
    o += r.problems() ? "Recommended fix\n" : "How to run it\n";
    for (const auto& c : r.binary->recommended) o += "  " + c + "\n";
  }
  if (r.binary && r.binary->fix) {
    const FixReport& f = *r.binary->fix;
    o += "Fix (" + std::string(fixStatusName(f.status)) + ")\n";
    if (!f.tag.empty()) line(f.tag, "'" + f.before + "' -> '" + f.after + "'");
    for (const auto& c : f.commands)
      o += (f.status == FixStatus::kDryRun ? "  " : "  ran: ") + c + "\n";
    for (const auto& n : f.notes) o += "  note: " + n + "\n";
  }
  if (r.binary && !r.binary->checked)
    o += "Result: not judged\n";
  else
    o += r.problems() ? "Result: problems found\n" : "Result: no problem found\n";
  return o;
}

}  // namespace privbind::doctor::report
