// The one launch sequence of every mode, written once as a checklist: resolve the target, check
// the command's drop plan, the mode's host checks, resolve the command, the mode's preparations
// (what outlives privbind: the broker helper, the cgroup watcher), the environment, -v, the
// mode's last step before the command's process is made, the terminal, the mode's last step as
// root, the drop, the mode's last check as the target, exec.
// A mode fills in hooks; it never reorders the steps.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "common/error.h"
#include "common/ids.h"
#include "common/launch.h"
#include "common/options.h"
#include "common/privdrop.h"
#include "common/supervisor.h"

namespace privbind::launch {

// This host cannot run the mode, found before anything the mode did can outlive privbind
// (everything it started goes when privbind goes): under -m auto another mode may run instead.
// Printed on its own as "<mode>: <reason>".
struct Unavailable {
  std::string mode;    // "cgroup mode"
  std::string reason;  // "<what>: <why>" of the step that found it
};

// Why a launch returned: either the host cannot run the mode (Unavailable), or a final Error
// after which no other mode may run.
class Failure {
 public:
  Failure(Error final) : v_(std::move(final)) {}  // NOLINT(google-explicit-constructor)
  Failure(Unavailable unavailable) : v_(std::move(unavailable)) {}  // NOLINT
  // Set only when another mode may still run.
  const Unavailable* unavailable() const { return std::get_if<Unavailable>(&v_); }
  // What privbind prints and exits with when nothing else runs.
  Error error() const;

 private:
  std::variant<Error, Unavailable> v_;
};

// A hook's outcome: done, Unavailable, or a final Error (any Status error converts to one).
class [[nodiscard]] Step {
 public:
  Step() = default;
  Step(Error final) : failure_(std::move(final)) {}  // NOLINT(google-explicit-constructor)
  Step(Unavailable unavailable) : failure_(std::move(unavailable)) {}  // NOLINT
  Step(const Status& s) {                                              // NOLINT
    if (!s) failure_.emplace(s.error());
  }
  explicit operator bool() const { return !failure_; }
  const Failure& failure() const { return *failure_; }

 private:
  std::optional<Failure> failure_;
};

// What a mode adds to the sequence. Each hook runs at one fixed point of run(); the defaults do
// nothing.
class Hooks {
 public:
  virtual ~Hooks() = default;

  // Before any name is looked up.
  virtual Status begin() { return {}; }
  // The command's drop plan: what it keeps (the pipeline fills in the target and no_new_privs).
  virtual privdrop::Plan commandPlan(const ids::Target& target, bool noNewPrivs) const = 0;
  // What this host offers, with the target resolved and the command's plan checked, before the
  // command is resolved. May be Unavailable as long as what it started goes with privbind.
  virtual Step prepareHost(const ids::Target& /*target*/) { return {}; }
  // With the command resolved: the mode's own checks of it and what outlives privbind (the
  // broker helper, the cgroup watcher, pid 1's init). May be Unavailable as long as what it
  // started goes with privbind.
  virtual Step prepare(const ids::Target& /*target*/, const Command& /*command*/) { return {}; }
  // The command's environment, after HOME, USER and LOGNAME.
  virtual void environment(Env& /*env*/) {}
  // -v only: the mode's lines, before the command's (reportCommand).
  virtual void banner(const privdrop::CheckedPlan& /*command*/) const {}
  // After -v, right before terminal::isolate: the mode's last step in privbind's own process,
  // the last that may be Unavailable (nothing is made for the command before it). relay:
  // whether terminal::isolate will fork the command's process (a terminal on fds 0-2).
  virtual Step beforeCommand(const ids::Target& /*target*/, bool /*relay*/) { return {}; }
  // The cgroup v2 directory (an open descriptor) in which a command's process that the pipeline
  // forks (terminal::isolate's child) is to be born; -1: where privbind is.
  virtual int commandCgroup() const { return -1; }
  // After terminal::isolate, still root, in the process that becomes the command; born: where
  // the pipeline made it (empty when it made none: privbind's own process). A failure ends the
  // process at that point (125): a relay may run already, and no other mode may.
  virtual Status afterTerminal(const supervisor::Birth& /*born*/) { return {}; }
  // After the drop, as the target, right before exec. A failure ends the process at that point.
  virtual Status beforeExec() { return {}; }
};

// Runs the sequence with mode's hooks and execs the command in place. Returns only when it could
// not: every name is resolved and every check made before the first credential change; the
// relay (terminal::isolate) is forked after beforeCommand() and before afterTerminal(); after the
// drop, nothing returns but exec's own failure (126 not executable, 127 not found).
Failure run(const LaunchOptions& options, Hooks& mode);

}  // namespace privbind::launch
