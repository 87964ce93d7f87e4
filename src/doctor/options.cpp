#include "doctor/options.h"

#include <span>

#include "cli/argtable.h"
#include "privbind/doc_paths.h"

namespace privbind::doctor {

namespace {

using Row = argtable::Option<Options>;

// No short option that means something else in the launcher: -n is -n/--binds there, so
// --dry-run has no short form; -u means the same user in both.
constexpr Row kTable[] = {
    {'u', "user", "USER", 0,
     "look TARGET up on PATH as USER would, the way the\n"
     "launcher finds COMMAND (default: as an ordinary\n"
     "user, uid 65534)",
     [](Options& o, const std::string& v) -> Status {
       o.user = v;
       return {};
     }},
    {0, "json", nullptr, 0,
     "print the findings as JSON (stable keys, see\n" PRIVBIND_DOC_DIR "/java-rpath.md)",
     [](Options& o, const std::string&) -> Status {
       o.json = true;
       return {};
     }},
    {0, "fix", nullptr, 0,
     "rewrite the $ORIGIN entries that secure-execution mode\n"
     "ignores into absolute paths with patchelf (DT_RPATH\n"
     "stays DT_RPATH), keep owner and mode, re-apply the file\n"
     "capabilities that the rewrite clears, and keep the\n"
     "original as FILE.privbind-orig. Refuses (125) an entry\n"
     "with ':' or '$', a directory others can write to, and\n"
     "an existing FILE.privbind-orig; if a problem remains\n"
     "after the rewrite, puts the original back and fails\n"
     "(125). Needs root. Running it again changes nothing.",
     [](Options& o, const std::string&) -> Status {
       o.fix = true;
       return {};
     }},
    {0, "dry-run", nullptr, 0, "with --fix: print the exact commands, change nothing",
     [](Options& o, const std::string&) -> Status {
       o.dryRun = true;
       return {};
     }},
    {'h', "help", nullptr, 0, "show this help and exit",
     [](Options& o, const std::string&) -> Status {
       o.help = true;
       return {};
     }},
};

constexpr std::span<const Row> kRows = kTable;

Error usage(std::string what, std::string why) {
  return Error::usage(std::move(what), std::move(why));
}

}  // namespace

Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  auto split = argtable::split(kRows, args, argtable::Operands::kInterleaved);
  if (!split) return split.error();
  if (auto s = argtable::apply(kRows, *split, o); !s) return s.error();
  if (o.help) return o;
  if (split->operands.size() > 1)
    return usage("'" + split->operands[1] + "'", "only one TARGET at a time");
  if (!split->operands.empty()) {
    if (split->operands[0].empty()) return usage("TARGET", "empty");
    o.target = split->operands[0];
  }
  if (o.dryRun && !o.fix) return usage("--dry-run", "only makes sense with --fix");
  if (!o.user.empty() && o.target.empty())
    return usage("-u/--user", "only makes sense with a TARGET to look up");
  if (o.fix && o.target.empty())
    return usage("--fix", "needs a TARGET: the binary whose RPATH should be fixed");
  return o;
}

std::vector<OptionInfo> optionTable() {
  std::vector<OptionInfo> out;
  for (const auto& r : kRows) out.push_back({r.shortName, r.longName, r.valueName != nullptr});
  return out;
}

std::string helpText() {
  return std::string(R"(Usage: privbind doctor [-u USER] [--json] [TARGET]
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
With -u USER, a command name is looked up on PATH as USER would find it,
exactly as "privbind -u USER" finds COMMAND (JAVA_HOME is not consulted).
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
)") + argtable::render(kRows, 0) +
         R"(
Exit status: 0 no problem found, 1 problems found, 125 doctor could not
inspect (or --fix failed; with --json, an "error" object on stdout).

Examples:
  privbind doctor
  privbind doctor java
  privbind doctor -u www-data python3
  privbind doctor --fix --dry-run /opt/jdk/bin/java
)";
}

}  // namespace privbind::doctor
