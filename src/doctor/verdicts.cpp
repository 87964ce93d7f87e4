#include "doctor/verdicts.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "common/caps.h"
#include "common/proc_status.h"
#include "common/text.h"
#include "doctor/exec_check.h"
#include "doctor/exec_model.h"
#include "doctor/file_caps.h"
#include "doctor/jdk.h"
#include "doctor/ld_trace.h"
#include "doctor/package.h"
#include "doctor/quote.h"
#include "doctor/recommend.h"
#include "doctor/tools.h"
#include "doctor/writers.h"

namespace privbind::doctor::verdicts {

namespace {

using tools::dirOf;

constexpr uint64_t kNetBind = caps::bit(caps::kNetBindService);

// The nearest directory at or above path that exists: whoever can write it can create the rest.
std::string existingDir(std::string path) {
  struct stat st {};
  while (path.size() > 1 && stat(path.c_str(), &st) != 0) path = dirOf(path);
  return path;
}

// A privileged program (file capabilities, setuid/setgid) trusts every directory ld.so searches
// for it in secure-execution mode and every library it loads: whoever other than root can write
// one of them runs code with the program's privileges. One finding per writable place.
void hijackable(const BinaryReport& bin, Report& report, const std::string& instead) {
  std::set<std::string> seen;
  auto check = [&](const std::string& given, const std::string& role) {
    // The file ld.so really opens: /lib is a symlink to usr/lib on Debian, and a symlink's own
    // mode (0777) says nothing.
    const std::string path = tools::realPathOr(given);
    if (path.empty() || !seen.insert(path).second) return;
    std::string who = writers::untrustedWriter(path);
    if (who.empty()) return;
    report.add(Severity::kProblem, "library-hijackable",
               role + " " + path + " of the privileged program " + bin.path +
                   " can be changed by someone other than root (" + who +
                   "): that user can put a library there and run code with the program's "
                   "privileges. Make it root's and not writable by group or others (chown "
                   "root: " +
                   quote::shell(path) + " && chmod go-w " + quote::shell(path) +
                   "), or drop the privilege and use " + instead);
  };
  for (const auto& e : bin.entries)
    if (!e.secure.dropped && !e.secure.relative && !e.secure.expanded.empty())
      check(existingDir(e.secure.expanded), e.tag + " directory");
  for (const auto& l : bin.libs)
    if (!l.secure.empty()) check(l.secure, "the library");
}

}  // namespace

Status judge(BinaryReport& bin, const Context& ctx, Report& report) {
  const loader::Host& host = ctx.host;
  // 1. What execve(2) checks before any code runs (exec_check.h).
  auto read = execcheck::files(bin, ctx.as);
  if (!read) return read.error();
  struct stat st {};
  const bool exists = stat(bin.path.c_str(), &st) == 0;
  if (exists) {
    bin.owner = st.st_uid;
    bin.group = st.st_gid;
    bin.mode = st.st_mode & 07777;
    bin.setuid = (st.st_mode & S_ISUID) != 0;
    bin.setgid = (st.st_mode & S_ISGID) != 0;
  }
  filecaps::FileCaps fc;
  if (*read) {
    bin.info = **read;
    if (auto s = execcheck::program(bin, bin.info, host, ctx.as); !s) return s;
    fc = filecaps::read(bin.path);
    bin.fileCaps = fc.text;
    // get_file_caps() fails the exec on an xattr it cannot parse.
    if (fc.malformed && bin.execFailure.empty())
      bin.execFailure = bin.path +
                        " has a security.capability xattr the kernel cannot parse: "
                        "execve(2) fails with EINVAL";
  }
  if (!bin.execFailure.empty()) {
    // Every way of starting it execs the same file as the same user: nothing starts.
    bin.checked = true;
    report.add(Severity::kProblem, "exec-fails",
               bin.execFailure + ". It does not start, directly or under any privbind mode");
    return {};
  }
  if (!bin.notJudged.empty()) {
    bin.checked = false;
    report.add(Severity::kProblem, "not-judged",
               bin.notJudged + ": doctor cannot tell whether it starts or binds");
    return {};
  }
  const elf::Info* info = &bin.info;
  bin.capsNetBind = fc.netBind && fc.ignoredWhy.empty();
  bin.checked = true;
  bin.package = package::ownerOf(bin.path);
  bin.jdk = jdk::detect(bin.path);
  bin.ldLibraryPath = text::join(host.ldLibraryPath, ":");
  bin.capsIgnoredWhy = fc.ignoredWhy;

  // What execve(2) makes of the file for each caller (exec_model.h): an ordinary user with the
  // bounding set and no_new_privs doctor has here, and privbind's modes. A nosuid mount makes
  // the kernel ignore set-user-ID bits and file capabilities alike (mnt_may_suid()).
  struct statvfs vfs {};
  const bool nosuid = statvfs(bin.path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
  execmodel::File file;
  file.hasCaps = !fc.text.empty() && fc.ignoredWhy.empty();
  file.fP = fc.permitted;
  file.fI = fc.inheritable;
  file.fE = fc.effective;
  file.setuid = bin.setuid && !nosuid;
  file.setgid = bin.setgid && !nosuid;
  file.owner = st.st_uid;
  file.group = st.st_gid;
  uint64_t bounding = ~uint64_t{0};
  bool noNewPrivs = false;
  if (auto self = proc::readSelf()) {
    bounding = self->capBnd;
    noNewPrivs = self->noNewPrivs == 1;
  }
  const bool privbindCan = (bounding & kNetBind) != 0;
  execmodel::Caller asUser = execmodel::ordinaryUser(bounding, noNewPrivs);
  asUser.uid = ctx.as.user.uid;
  asUser.gid = ctx.as.gid;
  const auto user = execmodel::exec(file, asUser);
  const auto capsRun = execmodel::exec(file, execmodel::capsMode());
  const auto brokerRun = execmodel::exec(file, execmodel::brokerMode());
  // cgroup mode leaves the command what broker mode does: no capability, an empty bounding set,
  // no_new_privs (modes/cgroup/cgroup_mode.cpp).
  const auto cgroupRun = execmodel::exec(file, execmodel::brokerMode());
  bin.secure = user.secure;

  const std::string& p = bin.path;
  // The least-privilege mode to point to: cgroup mode where the host has it.
  const std::string instead =
      ctx.cgroup.works ? "cgroup mode (the default: no capability at all)" : "caps mode";
  if (!fc.ignoredWhy.empty())
    report.add(fc.netBind ? Severity::kProblem : Severity::kWarning, "caps-ignored",
               p + " has file capabilities (" + fc.text + "), but " + fc.ignoredWhy +
                   ": they give the program nothing");
  if (nosuid && (bin.setuid || bin.setgid))
    report.add(Severity::kWarning, "setuid-ignored",
               p + " is set-user/group-ID, but lies on a file system mounted nosuid: the kernel "
                   "ignores the bit");
  if (info->dynamic) {
    bin.entries = loader::entries(*info, bin.path, host);
    bin.libs = loader::resolve(*info, bin.path, host);
    // Normal mode: the system ld.so's own answer, as the user, where it can be asked
    // (ld_trace.h says why that runs none of the target's code); the model where it cannot.
    if (auto traced = ldtrace::normalLoad(*info, bin.path, host, ctx.as)) {
      bin.tracedLoad = true;
      std::map<std::string, size_t> index;
      for (size_t i = 0; i < bin.libs.size(); ++i) index[bin.libs[i].name] = i;
      for (const auto& [name, path] : *traced) {
        if (auto it = index.find(name); it != index.end()) {
          bin.libs[it->second].normal = path;
          // Secure-execution mode searches a subset of normal mode's directories (no
          // LD_LIBRARY_PATH, fewer $ORIGIN entries): what ld.so cannot load in normal mode
          // (a library the user may not read, say), it does not load there either.
          if (path.empty()) bin.libs[it->second].secure.clear();
        } else {
          bin.libs.push_back({name, bin.path, path, path});
        }
      }
    }
  }
  for (const auto& l : bin.libs) {
    if (l.normal.empty()) bin.loadsNormal = false;
    if (l.secure.empty()) bin.loadsSecure = false;
  }
  auto loads = [&](const execmodel::Outcome& o) {
    return o.secure ? bin.loadsSecure : bin.loadsNormal;
  };

  // The launcher refuses broker mode for what its preload library cannot reach
  // (modes/broker/broker_mode.cpp, checkTarget): static and Go programs. A set-user-ID or
  // set-group-ID file is refused only with --allow-setuid; by default privbind sets
  // no_new_privs, the bit is not honoured and the library loads.
  bool brokerRefused = !info->dynamic || info->isGo;

  // Verdicts.
  bin.startsAsUser = bin.checked && !user.eperm && loads(user);
  // Each reason it binds reserved ports on its own; one line each, so that one more (a standing
  // grant, say) is one more push_back.
  if (bin.startsAsUser && (user.eff & kNetBind) != 0)
    bin.bindsBecause.push_back(file.hasCaps     ? "its file capabilities (" + fc.text + ")"
                               : user.euid == 0 ? std::string("set-user-ID root")
                                                : std::string("its capabilities"));
  bin.bindsAsUser = !bin.bindsBecause.empty();
  bin.cgroupWorks = bin.checked && ctx.cgroup.works && !cgroupRun.eperm && loads(cgroupRun);
  bin.capsWorks = bin.checked && privbindCan && caps::ambientSupported() && !capsRun.eperm &&
                  loads(capsRun) && (capsRun.eff & kNetBind) != 0;
  // In secure-execution mode ld.so ignores a preload library given by path (ld.so(8)).
  bin.brokerWorks = bin.checked && privbindCan && !brokerRefused && !brokerRun.eperm &&
                    !brokerRun.secure && bin.loadsNormal;

  std::vector<std::string> dropped, relative;
  for (const auto& e : bin.entries) {
    if (e.secure.dropped && e.secure.usesOrigin) dropped.push_back(e.tag + " " + e.secure.entry);
    if (e.secure.relative) relative.push_back(e.tag + " '" + e.secure.entry + "'");
  }
  const std::string privilege = !bin.fileCaps.empty() ? "file capabilities" : "setuid/setgid";
  for (const auto& l : bin.libs) {
    if (l.normal.empty()) {
      report.add(Severity::kProblem, "library-missing",
                 l.name + " (needed by " + l.neededBy + ") will not load at all: " +
                     (bin.tracedLoad
                          ? "the system ld.so, asked as uid " + std::to_string(ctx.as.user.uid) +
                                " (ld.so --list), finds no copy it can load in the "
                                "RPATH/RUNPATH entries, "
                          : "ld.so finds it in none of the RPATH/RUNPATH entries, ") +
                     (host.ldLibraryPath.empty()
                          ? std::string()
                          : "LD_LIBRARY_PATH (" + text::join(host.ldLibraryPath, ":") + "), ") +
                     "ld.so.cache or the system directories");
    } else if (bin.secure && l.secure.empty()) {
      std::string why = !dropped.empty()
                            ? "ld.so ignores $ORIGIN in that mode because " + dirOf(bin.path) +
                                  " is not under a trusted directory (" +
                                  text::join(host.systemDirs, ":") + "), and it only finds " +
                                  l.name + " through $ORIGIN"
                        : !host.ldLibraryPath.empty()
                            ? "ld.so ignores LD_LIBRARY_PATH in that mode, and it only finds " +
                                  l.name + " through LD_LIBRARY_PATH"
                            : "it is not in any directory ld.so searches in that mode";
      report.add(Severity::kProblem, "secure-library-missing",
                 l.name + " will not load when an ordinary user runs " + p + ": the file has " +
                     privilege + ", so it runs in secure-execution mode (AT_SECURE), and " + why +
                     ". Without that mode it would load from " + l.normal);
    }
  }
  if (!host.ldLibraryPath.empty() && bin.native && info->dynamic) {
    if (bin.secure)
      report.add(Severity::kInfo, "ld-library-path-ignored",
                 "LD_LIBRARY_PATH is set, but " + p + " has " + privilege +
                     ": secure-execution mode ignores LD_LIBRARY_PATH (ld.so(8))");
    else
      report.add(
          Severity::kInfo, "ld-library-path",
          "libraries are searched in LD_LIBRARY_PATH=" + text::join(host.ldLibraryPath, ":") +
              " as this doctor run has it set: the service must have it set too");
  }
  if (bin.secure && !dropped.empty() && bin.loadsSecure) {
    report.add(Severity::kWarning, "origin-ignored",
               "secure-execution mode ignores " + text::join(dropped, ", ") +
                   "; every library still loads from elsewhere, "
                   "but not from the directory the author intended");
  }
  if (!relative.empty()) {
    report.add(bin.secure ? Severity::kProblem : Severity::kWarning, "relative-rpath",
               text::join(relative, ", ") +
                   " resolve against the working directory of the process" +
                   (bin.secure ? std::string(": whoever chooses that directory can load code into "
                                             "a privileged program; make the entries absolute "
                                             "(--fix does not guess them)")
                               : std::string("; libraries then depend on where the service "
                                             "starts")));
  }
  if (bin.secure) {
    std::string who = writers::untrustedWriter(bin.path);
    if (!who.empty())
      report.add(Severity::kProblem, "unsafe-location",
                 p + " is privileged (" + privilege + "), but " + who +
                     ": someone other than root can replace it or link it elsewhere; --fix "
                     "refuses to work there");
    hijackable(bin, report, instead);
  }

  // What the file's own privileges do for a bind.
  if (bin.checked && file.hasCaps) {
    if (user.eperm && (fc.permitted & ~bounding) != 0) {
      report.add(Severity::kProblem, "bounding-set",
                 p + " has file capabilities (" + bin.fileCaps + ") with the effective bit, and " +
                     caps::names(fc.permitted & ~bounding, caps::lastCap()) +
                     " is not in the bounding set here: execve(2) fails with EPERM "
                     "(capabilities(7)). Give the service that capability in its bounding set, "
                     "or drop the file capabilities (setcap -r) and use " +
                     instead);
    } else if (!fc.netBind && !(fc.inheritable & kNetBind)) {
      report.add(bin.bindsAsUser ? Severity::kInfo : Severity::kProblem, "caps-without-bind",
                 p + " has file capabilities (" + bin.fileCaps +
                     ") but not cap_net_bind_service: they do not let it bind reserved ports");
    } else if (fc.netBind && !fc.effective) {
      report.add(Severity::kProblem, "caps-not-effective",
                 p + " has cap_net_bind_service in its permitted set only (" + bin.fileCaps +
                     "): it starts without the capability in its effective set, and bind(2) "
                     "fails with EACCES unless the program raises it itself "
                     "(cap_set_proc(3)); use 'setcap cap_net_bind_service=ep', or " +
                     instead);
    } else if (!fc.netBind) {
      report.add(Severity::kInfo, "caps-inheritable-only",
                 p + " has cap_net_bind_service only as a file-inheritable capability (" +
                     bin.fileCaps +
                     "): an ordinary user's process has no inheritable capabilities, so it "
                     "gets nothing; under caps mode it gets it from privbind");
    }
    if (capsRun.eperm)
      report.add(bin.bindsAsUser ? Severity::kWarning : Severity::kProblem, "caps-mode-eperm",
                 "caps mode leaves only cap_net_bind_service in the bounding set, and " + p +
                     " has other capabilities with the effective bit (" + bin.fileCaps +
                     "): execve(2) fails with EPERM and privbind exits 126; keep only "
                     "cap_net_bind_service on the file, or remove its capabilities (setcap -r)");
  }
  if (bin.checked && !privbindCan)
    report.add(ctx.cgroup.works ? Severity::kWarning : Severity::kProblem, "no-bind-capability",
               "CAP_NET_BIND_SERVICE is not in the bounding set here, as in some containers: "
               "neither caps mode nor broker mode can work" +
                   std::string(ctx.cgroup.works ? " (cgroup mode does not need it)" : ""));
  if (!ctx.cgroup.works)
    report.add(Severity::kInfo, "cgroup-mode-unavailable",
               "cgroup mode cannot work here: " + ctx.cgroup.why);
  else if (cgroupRun.eperm)
    report.add(Severity::kWarning, "cgroup-mode-eperm",
               "cgroup mode leaves the command an empty bounding set, and " + p +
                   " has file capabilities with the effective bit (" + bin.fileCaps +
                   "): execve(2) fails with EPERM and privbind exits 126; remove them "
                   "(setcap -r), cgroup mode needs none");
  if (info->isGo)
    report.add(Severity::kInfo, "go-binary",
               p +
                   " is a Go program: Go makes its system calls directly, so broker mode's "
                   "preload library cannot reach its binds; use " +
                   instead);
  if (!info->dynamic && !info->isGo)
    report.add(Severity::kInfo, "static-binary",
               p +
                   " is statically linked: no preload library reaches it, so broker mode "
                   "cannot work; use " +
                   instead);
  if (bin.setuid || bin.setgid)
    report.add(Severity::kInfo, "setuid",
               p + " is " + (bin.setuid ? "set-user-ID" : "set-group-ID") + " (uid " +
                   std::to_string(bin.owner) +
                   "): privbind runs it with no_new_privs in every mode, so the bit changes no "
                   "id and broker mode's preload library loads; with --allow-setuid the bit "
                   "counts, and broker mode refuses it (the loader would ignore the library)");
  if (file.hasCaps && bin.native && info->dynamic && !brokerRefused) {
    if (brokerRun.eperm)
      report.add(Severity::kInfo, "caps-ignore-preload",
                 "broker mode leaves the command an empty bounding set, and the file's "
                 "capabilities carry the effective bit: execve(2) fails with EPERM and privbind "
                 "exits 126, unless the file capabilities are removed (setcap -r)");
    else if (brokerRun.secure)
      report.add(Severity::kInfo, "caps-ignore-preload",
                 "with file capabilities the program runs in secure-execution mode, where ld.so "
                 "ignores a preload library given by path: broker mode cannot reach its binds "
                 "unless the file capabilities are removed (setcap -r)");
  }
  for (const auto& s : bin.scripts) {
    if (!s.fileCaps.empty() || s.setuid || s.setgid) {
      std::string what = !s.fileCaps.empty() ? "file capabilities (" + s.fileCaps + ")"
                                             : std::string("a setuid/setgid bit");
      report.add(Severity::kProblem, "script-privileges-ignored",
                 s.path + " is a script with " + what +
                     ": the kernel ignores them on scripts and runs its interpreter (" +
                     s.interpreter +
                     ") without them, so the script gets no privilege from "
                     "them; run it with privbind --mode=caps instead, which hands "
                     "CAP_NET_BIND_SERVICE through the interpreter as an ambient capability");
    } else {
      report.add(Severity::kInfo, "script",
                 s.path + " is a script: the kernel runs its interpreter (" + s.interpreter +
                     "), which is what doctor judges");
    }
  }

  recommend::fill(bin, report, ctx);
  return {};
}

}  // namespace privbind::doctor::verdicts
