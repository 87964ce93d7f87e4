// The privileged sequence: from root to the target user, keeping exactly the capabilities asked
// for. Used by caps mode (keep CAP_NET_BIND_SERVICE as ambient), broker mode's command (keep
// nothing), the broker helper (keep CAP_NET_BIND_SERVICE, not inheritable) and the terminal relay
// (keep nothing).
#pragma once

#include <cstdint>
#include <utility>

#include "common/error.h"
#include "common/ids.h"
#include "common/proc_status.h"

namespace privbind::privdrop {

struct Plan {
  ids::Target target;
  uint64_t keep = 0;       // capabilities left in permitted, effective and bounding
  bool ambient = false;    // also inheritable and ambient: they survive execve(2)
  bool noNewPrivs = true;  // PR_SET_NO_NEW_PRIVS: exec can never grant more
};

// A plan that checkPreconditions() accepted, with what it learnt on the way (the highest
// capability the kernel knows). Only checkPreconditions() can make one, so drop() can never be
// handed a plan nobody checked.
class CheckedPlan {
 public:
  const Plan& plan() const { return plan_; }
  const ids::Target& target() const { return plan_.target; }
  int lastCap() const { return lastCap_; }

 private:
  CheckedPlan(Plan plan, int lastCap) : plan_(std::move(plan)), lastCap_(lastCap) {}
  friend Result<CheckedPlan> checkPreconditions(Plan plan);
  Plan plan_;
  int lastCap_ = 0;
};

// Everything that can be checked before the first credential change: that privbind does not run
// in secure-execution mode (setuid, setgid or file capabilities: getauxval(AT_SECURE)) and that its
// ids are not mixed, that it holds CAP_SETUID, CAP_SETGID and CAP_SETPCAP, that every kept
// capability is in its bounding set, and that the kernel has ambient capabilities when they are
// asked for. Changes nothing.
Result<CheckedPlan> checkPreconditions(Plan plan);

// Needs: root's credentials, as checked by checkPreconditions(). Leaves: the calling process with
// exactly the plan's credentials, its securebits locked (secureBits()), and a fresh session keyring
// of its own, verified by reading them back from the kernel. Returns only on success. Any failure
// ends the process at that point: the one-line error goes to stderr, or, when statusFd >= 0, as
// "<what>: <why>" to statusFd (the broker helper's start-up report), then _exit(125). Nothing runs
// in a partly dropped process.
void drop(const CheckedPlan& plan, int statusFd = -1);

// The comparison behind drop()'s last step, pure so that it can be tested with made-up states:
// every id, the group list (order does not matter), the five capability sets and, when the plan
// asks for it, NoNewPrivs. The first field that differs is named in the error.
Status compareCredentials(const Plan& plan, const proc::Status& state);

// The securebits (capabilities(7)) drop() leaves, each locked: SECBIT_NOROOT (uid 0 gains no
// capability at execve(2)), SECBIT_NO_SETUID_FIXUP (no later uid change adjusts a capability
// set), SECBIT_KEEP_CAPS off, and SECBIT_NO_CAP_AMBIENT_RAISE on unless the plan raises ambient
// capabilities itself.
unsigned secureBits(const Plan& plan);

// drop()'s check of the securebits it read back (prctl(PR_GET_SECUREBITS): /proc has no line
// for them): exactly secureBits(plan).
Status compareSecureBits(const Plan& plan, unsigned got);

}  // namespace privbind::privdrop
