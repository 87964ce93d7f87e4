#include "doctor/verdicts.h"

#include <sys/stat.h>

#include <set>

#include "doctor/file_caps.h"
#include "doctor/jdk.h"
#include "doctor/package.h"
#include "doctor/tools.h"
#include "doctor/writers.h"

namespace privbind::doctor::verdicts {

namespace {

using tools::baseOf;
using tools::dirOf;
using tools::joinList;

}  // namespace

Status judge(BinaryReport& bin, const loader::Host& host, Report& report) {
  auto info = elf::read(bin.path);
  if (!info) {
    Error e = info.error();
    if (bin.path != bin.query && e.what() == bin.path) e.prefix(bin.query);
    return e;
  }
  bin.info = *info;
  struct stat st {};
  if (stat(bin.path.c_str(), &st) != 0) return Error::fromErrno("stat(" + bin.path + ")", errno);
  bin.owner = st.st_uid;
  bin.group = st.st_gid;
  bin.mode = st.st_mode & 07777;
  bin.setuid = (st.st_mode & S_ISUID) != 0;
  bin.setgid = (st.st_mode & S_ISGID) != 0;
  filecaps::FileCaps fc = filecaps::read(bin.path);
  bin.fileCaps = fc.text;
  bin.capsNetBind = fc.netBind;
  bin.capsEffective = fc.effective;
  // execve(2) of a setuid/setgid file, or of a file whose capabilities raise the permitted or
  // effective set, sets AT_SECURE for an ordinary user (capabilities(7), ld.so(8)).
  bool capsSecure = fc.anyPermitted || fc.effective;
  bin.secure = bin.setuid || bin.setgid || capsSecure;
  bin.native = info->elfClass == host.elfClass && info->machine == host.machine;
  bin.package = package::ownerOf(bin.path);
  bin.jdk = jdk::detect(bin.path);

  const std::string& p = bin.path;
  if (!bin.native) {
    report.add(Severity::kWarning, "foreign-architecture",
               p + " is a " + std::to_string(info->elfClass) + "-bit " + info->machineName +
                   " program; privbind is built for this host's own architecture, so its libraries "
                   "are not checked");
  }
  if (bin.native && info->dynamic) {
    bin.entries = loader::entries(*info, bin.path, host);
    bin.libs = loader::resolve(*info, bin.path, host);
  }
  for (const auto& l : bin.libs) {
    if (l.normal.empty()) bin.loadsNormal = false;
    if (l.secure.empty()) bin.loadsSecure = false;
  }

  // Verdicts. Under privbind the command runs with no_new_privs, so setuid bits are ignored,
  // but file capabilities with the effective bit still make the exec secure (and clear ambient
  // capabilities) — exactly as when an ordinary user runs the file directly.
  bool loads = bin.secure ? bin.loadsSecure : bin.loadsNormal;
  bin.startsAsUser = bin.native && loads;
  bin.capsWorks = bin.native && (capsSecure ? bin.loadsSecure : bin.loadsNormal);
  bin.brokerWorks = bin.native && info->dynamic && !info->isGo && !capsSecure && bin.loadsNormal;

  std::vector<std::string> dropped, relative;
  for (const auto& e : bin.entries) {
    if (e.secure.dropped && e.secure.usesOrigin) dropped.push_back(e.tag + " " + e.secure.entry);
    if (e.secure.relative) relative.push_back(e.tag + " '" + e.secure.entry + "'");
  }
  for (const auto& l : bin.libs) {
    if (l.normal.empty()) {
      report.add(Severity::kProblem, "library-missing",
                 l.name + " (needed by " + l.neededBy +
                     ") will not load at all: ld.so finds it in "
                     "none of the RPATH/RUNPATH entries, ld.so.cache or the system directories");
    } else if (bin.secure && l.secure.empty()) {
      std::string why =
          dropped.empty() ? "it is not in any directory ld.so searches in that mode"
                          : "ld.so ignores $ORIGIN in that mode because " + dirOf(bin.path) +
                                " is not under a trusted directory (" + joinList(host.systemDirs) +
                                "), and it only finds " + l.name + " through $ORIGIN";
      report.add(Severity::kProblem, "secure-library-missing",
                 l.name + " will not load when an ordinary user runs " + p + ": the file has " +
                     (bin.setuid || bin.setgid ? "setuid/setgid" : "file capabilities") +
                     ", so it runs in secure-execution mode (AT_SECURE), and " + why +
                     ". Without that mode it would load from " + l.normal);
    }
  }
  if (bin.secure && !dropped.empty() && bin.loadsSecure) {
    std::string list;
    for (const auto& d : dropped) list += (list.empty() ? "" : ", ") + d;
    report.add(Severity::kWarning, "origin-ignored",
               "secure-execution mode ignores " + list +
                   "; every library still loads from elsewhere, "
                   "but not from the directory the author intended");
  }
  if (!relative.empty()) {
    std::string list;
    for (const auto& d : relative) list += (list.empty() ? "" : ", ") + d;
    report.add(
        bin.secure ? Severity::kProblem : Severity::kWarning, "relative-rpath",
        list + " resolve against the working directory of the process" +
            (bin.secure ? std::string(": whoever chooses that directory can load code into a "
                                      "privileged program; make the entries absolute (--fix "
                                      "does not guess them)")
                        : std::string("; libraries then depend on where the service starts")));
  }
  if (bin.secure) {
    std::string who = writers::untrustedWriter(bin.path);
    if (!who.empty())
      report.add(Severity::kWarning, "unsafe-location",
                 p + " is privileged (file capabilities or setuid/setgid), but " + who +
                     ": someone other than root can replace it or link it elsewhere; --fix refuses "
                     "to work there");
  }
  if (!bin.fileCaps.empty() && !bin.capsNetBind)
    report.add(Severity::kInfo, "caps-without-bind",
               p + " has file capabilities (" + bin.fileCaps +
                   ") but not cap_net_bind_service: they do not let it bind reserved ports");
  if (info->isGo)
    report.add(Severity::kInfo, "go-binary",
               p + " is a Go program: Go makes its system calls directly, so broker mode's preload "
                   "library cannot reach its binds; use caps mode");
  if (!info->dynamic && !info->isGo)
    report.add(
        Severity::kInfo, "static-binary",
        p + " is statically linked: no preload library reaches it, so broker mode cannot work; "
            "use caps mode");
  if (bin.setuid || bin.setgid)
    report.add(Severity::kInfo, "setuid",
               p + " is " + (bin.setuid ? "setuid" : "setgid") +
                   "; privbind runs commands with no_new_privs, which ignores those bits");
  if (capsSecure && bin.native && info->dynamic)
    report.add(
        Severity::kInfo, "caps-ignore-preload",
        "with file capabilities the program runs in secure-execution mode, where ld.so ignores "
        "a preload library given by path: broker mode cannot reach its binds unless the file "
        "capabilities are removed (setcap -r)");

  // What to run.
  bool originBroke = false;
  for (const auto& l : bin.libs)
    if (bin.secure && l.secure.empty() && !l.normal.empty()) originBroke = true;
  std::string q = tools::shellQuote(p);
  if (originBroke) {
    bin.recommended.emplace_back(
        "# 1. rewrite the $ORIGIN entries to absolute paths (keeps the "
        "file capabilities):");
    bin.recommended.push_back("privbind doctor --fix " + q);
    std::set<std::string> dirs;
    for (const auto& l : bin.libs)
      if (l.secure.empty() && !l.normal.empty()) {
        std::string d = l.normal.substr(0, l.normal.rfind('/'));
        std::string norm = rpath::normalizeForTrust(d);
        if (norm.size() > 1) norm.pop_back();
        dirs.insert(norm);
      }
    bin.recommended.emplace_back("# 2. or change no binary: let ld.so.cache find the libraries:");
    std::string conf = "/etc/ld.so.conf.d/privbind-" + baseOf(p) + ".conf";
    std::string lines;
    for (const auto& d : dirs) lines += (lines.empty() ? "" : "\\n") + d;
    bin.recommended.push_back("printf '" + lines + "\\n' > " + conf + " && ldconfig");
    bin.recommended.emplace_back(
        "# 3. or drop the file capabilities and let privbind grant the "
        "capability (caps mode needs no change to the binary):");
    bin.recommended.push_back("setcap -r " + q);
    bin.recommended.push_back("privbind --mode=caps -u USER " + q + " ...");
    if (!bin.package.empty())
      report.add(Severity::kWarning, "packaged-file",
                 p + " belongs to the Debian package " + bin.package +
                     ": an upgrade replaces the file and undoes both setcap and --fix; prefer the "
                     "/etc/ld.so.conf.d entry or caps mode, which change no packaged file");
  } else if (bin.native && bin.fileCaps.empty() && !bin.setuid) {
    if (bin.brokerWorks) {
      bin.recommended.push_back("privbind -u USER " + q + " ...");
    }
    if (bin.capsWorks) bin.recommended.push_back("privbind --mode=caps -u USER " + q + " ...");
  }
  return {};
}

}  // namespace privbind::doctor::verdicts
