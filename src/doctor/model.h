// What doctor finds, as plain data: filled by inspect/fix, printed by report (text or JSON).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/elf.h"
#include "doctor/rpath.h"

namespace privbind::doctor {

enum class Severity { kInfo, kWarning, kProblem };

// One line of the verdict. code is stable (documented for --json users); message is for people.
struct Finding {
  Severity severity = Severity::kInfo;
  std::string code;
  std::string message;
};

// One RPATH/RUNPATH entry as ld.so sees it in each mode.
struct EntryReport {
  std::string tag;  // "RPATH" or "RUNPATH"
  rpath::Expansion normal;
  rpath::Expansion secure;
};

// Where ld.so finds one NEEDED library; empty path = it will not load.
struct LibReport {
  std::string name;
  std::string neededBy;  // the object whose DT_NEEDED names it
  std::string normal;
  std::string secure;
};

enum class FixStatus {
  kNotNeeded,  // --fix was not asked for
  kDryRun,     // --fix --dry-run: the commands, nothing changed
  kApplied,    // the file was rewritten and read back
  kUnchanged,  // nothing to rewrite
};

// "not-needed", "dry-run", "applied", "unchanged": the words --json and the text report use.
const char* fixStatusName(FixStatus s);

struct FixReport {
  FixStatus status = FixStatus::kNotNeeded;
  std::string tag;            // RPATH or RUNPATH being rewritten
  std::string before, after;  // the ':'-joined lists
  std::string backup;         // FILE.privbind-orig
  bool backupExisted = false;
  std::vector<std::string> commands;  // the exact shell commands (run, or to run)
  std::vector<std::string> notes;
};

struct JdkReport {
  std::string home;                            // JAVA_HOME of the launcher
  std::string layout;                          // "9+" or "8"
  std::string libjli;                          // where libjli.so lives in this layout
  std::vector<std::string> launchersWithCaps;  // bin/ launchers carrying file capabilities
};

// One script on the way to the program that really runs: the kernel ignores a script's file
// capabilities and setuid/setgid bits and runs its "#!" interpreter instead.
struct ScriptHop {
  std::string path;         // the script (real path)
  std::string interpreter;  // the "#!" line's program, and its argument for env
  std::string fileCaps;     // the script's own file capabilities (ignored by the kernel)
  bool setuid = false, setgid = false;
};

struct BinaryReport {
  std::string query;               // what the user typed
  std::vector<std::string> chain;  // how it was resolved: "$JAVA_HOME/bin/java", symlinks...
  std::vector<ScriptHop> scripts;  // when the target is a script: each "#!" hop, in order
  std::string path;                // the real file that runs (symlinks and "#!" followed)
  elf::Info info;
  bool native = true;  // same class and machine as privbind itself
  uid_t owner = 0;
  gid_t group = 0;
  mode_t mode = 0;
  bool setuid = false, setgid = false;
  std::string fileCaps;      // cap_to_text, empty when none
  bool capsNetBind = false;  // cap_net_bind_service in the file's permitted set
  bool secure = false;       // an ordinary user's exec gets AT_SECURE
  std::vector<EntryReport> entries;
  std::vector<LibReport> libs;
  bool loadsNormal = true, loadsSecure = true;
  std::string package;  // Debian package owning the file, empty when none
  std::optional<JdkReport> jdk;
  std::string ldLibraryPath;  // doctor's LD_LIBRARY_PATH, searched in normal mode only
  // What execve(2) makes of the file for the user before any of the program's code runs
  // (exec_check.h): why it fails, empty when it gets as far as starting the program. A failure
  // holds for every way of starting it: directly and in each of privbind's modes.
  std::string execFailure;
  std::string notJudged;       // why doctor cannot tell whether it starts (checked is false)
  std::string capsIgnoredWhy;  // the file has capabilities the kernel does not apply, and why
  bool tracedLoad = false;     // the normal-mode libraries are the system ld.so's own answer
  // Verdicts, meaningful only when checked.
  bool checked = false;
  bool startsAsUser = false;  // an ordinary user starts it directly: it runs
  bool bindsAsUser = false;   // ... and may bind reserved ports: bindsBecause is not empty
  std::vector<std::string> bindsBecause;  // each reason it binds on its own, for people
  bool cgroupWorks = false;               // privbind -u USER (cgroup mode, the default) runs it
  bool brokerWorks = false;  // privbind -u USER (broker mode) runs it and reaches its binds
  bool capsWorks = false;    // privbind --mode=caps -u USER runs it and it can bind
  std::vector<std::string> recommended;  // commands, in order
  std::optional<FixReport> fix;
};

// Whether a launch mode can work on this host, and why not.
struct ModeVerdict {
  std::string name;  // "cgroup", "broker", "caps"
  bool works = false;
  std::string why;  // empty when it works
};

struct SystemReport {
  std::string kernel;
  bool ambient = false;
  unsigned unprivilegedPortStart = 1024;
  uid_t euid = 0;
  std::string capEff, capPrm, capBnd;
  bool bindInBounding = false, bindEffective = false;
  int noNewPrivs = -1, seccomp = -1;
  std::string shimPath;  // empty when not found
  std::vector<std::string> shimSearched;
  bool shimLoadable = false;
  std::string shimError;
  std::vector<ModeVerdict> modes;  // cgroup, broker, caps: what -m auto chooses from
};

struct Report {
  std::optional<SystemReport> system;
  std::optional<BinaryReport> binary;
  std::vector<Finding> findings;
  void add(Severity s, std::string code, std::string message) {
    findings.push_back({s, std::move(code), std::move(message)});
  }
  bool problems() const {
    for (const auto& f : findings)
      if (f.severity == Severity::kProblem) return true;
    return false;
  }
};

}  // namespace privbind::doctor
