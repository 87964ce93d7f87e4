#include "doctor/options.h"

namespace privbind::doctor {

namespace {

Error usage(std::string what, std::string why) {
  return Error::usage("doctor: " + std::move(what), std::move(why));
}

}  // namespace

Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  bool endOfOptions = false;
  bool targetSeen = false;
  auto once = [](bool& flag, const std::string& name) -> Status {
    if (flag) return usage(name, "given more than once");
    flag = true;
    return {};
  };
  for (const auto& a : args) {
    if (!endOfOptions && a == "--") {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && a.size() > 1 && a[0] == '-') {
      Status s;
      if (a == "--json") {
        s = once(o.json, a);
      } else if (a == "--fix") {
        s = once(o.fix, a);
      } else if (a == "--dry-run" || a == "-n") {
        s = once(o.dryRun, "--dry-run");
      } else if (a == "--help" || a == "-h") {
        o.help = true;
      } else if (a.rfind("--json=", 0) == 0 || a.rfind("--fix=", 0) == 0 ||
                 a.rfind("--dry-run=", 0) == 0) {
        s = usage(a.substr(0, a.find('=')), "takes no value");
      } else {
        s = usage(a, "unknown option");
      }
      if (!s) return s.error();
      continue;
    }
    if (targetSeen) return usage("'" + a + "'", "only one TARGET at a time");
    if (a.empty()) return usage("TARGET", "empty");
    o.target = a;
    targetSeen = true;
  }
  if (o.help) return o;
  if (o.dryRun && !o.fix) return usage("--dry-run", "only makes sense with --fix");
  if (o.fix && o.target.empty())
    return usage("--fix", "needs a TARGET: the binary whose RPATH should be fixed");
  return o;
}

std::string helpText() {
  return R"(Usage: privbind doctor [--json] [TARGET]
       privbind doctor --fix [--dry-run] [--json] TARGET

Explain why a service cannot bind a reserved port or will not start, and what
to do about it.

Without TARGET, check the system: kernel and ambient capabilities,
net.ipv4.ip_unprivileged_port_start, privbind's own capabilities and bounding
set, no_new_privs and seccomp, and whether the preload library is found and
loadable.

TARGET is a path, a command on PATH (looked up as an ordinary user finds it),
or "java" (found through $JAVA_HOME, then PATH, following /etc/alternatives);
a script is followed through its "#!" line to the interpreter that runs.
doctor reports its ELF facts (class, machine, interpreter, Go), setuid/setgid
bits and file capabilities, every RPATH/RUNPATH entry as ld.so treats it in
secure-execution mode, and every NEEDED library as ld.so would find it with
and without that mode. Then it says whether the program starts when an
ordinary user runs it, whether it can bind on its own, whether broker mode
and caps mode will work, and what to run.

A binary with file capabilities (setcap) or setuid runs in secure-execution
mode (AT_SECURE, ld.so(8)): ld.so ignores LD_LIBRARY_PATH and every $ORIGIN
RPATH entry that does not lie under a trusted system directory. That is why a
setcap'd java in /opt says "libjli.so: cannot open shared object file".

Options:
      --fix       rewrite the $ORIGIN entries that secure-execution mode ignores
                  into absolute paths with patchelf (DT_RPATH stays DT_RPATH),
                  keep owner and mode, re-apply the file capabilities that the
                  rewrite clears, and keep the original as FILE.privbind-orig.
                  Refuses (125) an entry with ':' or '$', a directory others
                  can write to, and an existing FILE.privbind-orig; if a
                  problem remains after the rewrite, puts the original back
                  and fails (125). Needs root. Running it again changes
                  nothing.
  -n, --dry-run   with --fix: print the exact commands, change nothing
      --json      print the findings as JSON (stable keys, see
                  docs/java-rpath.md)
  -h, --help      show this help

Exit status: 0 no problem found, 1 problems found, 125 doctor could not
inspect (or --fix failed; with --json, an "error" object on stdout).

Examples:
  privbind doctor
  privbind doctor java
  privbind doctor --fix --dry-run /opt/jdk/bin/java
)";
}

}  // namespace privbind::doctor
