#include "common/privdrop.h"

#include <grp.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/caps.h"
#include "common/invoker.h"
#include "common/keyring.h"
#include "common/text.h"

namespace privbind::privdrop {

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string list(const std::vector<gid_t>& ids) {
  std::vector<std::string> items;
  items.reserve(ids.size());
  for (gid_t id : ids) items.push_back(std::to_string(id));
  return "[" + text::join(items, ",") + "]";
}

std::string bits(unsigned v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

std::string ids3(unsigned id) {
  const std::string s = std::to_string(id);
  return "(" + s + ", " + s + ", " + s + ")";
}

// The checklist itself. Each step returns its error; drop() turns any of them into the end of the
// process.
Status dropSteps(const CheckedPlan& checked) {
  const Plan& plan = checked.plan();
  const ids::Target& t = plan.target;
  const uint64_t inheritable = plan.ambient ? plan.keep : 0;

  // 1. no_new_privs first: from here on no execve(2) can grant a privilege, whatever the
  //    command runs (setuid binaries and file capabilities are ignored; prctl(2)).
  if (plan.noNewPrivs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::fromErrno("prctl(PR_SET_NO_NEW_PRIVS, 1)", errno);

  // 2. Ambient capabilities inherited from whoever started privbind must not leak through.
  if (auto s = caps::clearAmbient(); !s) return s;

  // 3. Shrink the bounding set while CAP_SETPCAP is still effective (it is lost with uid 0).
  //    Dropping from the bounding set leaves the current permitted set alone.
  if (auto s = caps::shrinkBounding(plan.keep, checked.lastCap()); !s) return s;

  // 4. Keep the permitted set across the uid change; without it setresuid(2) away from uid 0
  //    clears every capability (capabilities(7), "Effect of user ID changes").
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return Error::fromErrno("prctl(PR_SET_KEEPCAPS, 1)", errno);

  // 5. Groups before gid before uid: each step needs the privilege the next one gives up.
  if (setgroups(t.groups.size(), t.groups.data()) != 0)
    return Error::fromErrno("setgroups(" + std::to_string(t.groups.size()) + " groups)", errno);
  if (setresgid(t.gid, t.gid, t.gid) != 0)
    return Error::fromErrno("setresgid" + ids3(t.gid), errno);
  if (setresuid(t.user.uid, t.user.uid, t.user.uid) != 0)
    return Error::fromErrno("setresuid" + ids3(t.user.uid), errno);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return Error::fromErrno("prctl(PR_SET_KEEPCAPS, 0)", errno);

  // 6. Lock the securebits (minijail's lock_securebits): no uid 0 that gains every capability at
  //    execve(2), no uid change that adjusts the capability sets, keep-caps off, and no ambient
  //    capability raised after this unless the plan raises one (below): each with its lock, so
  //    that nothing run from here can change them back. PR_SET_SECUREBITS needs CAP_SETPCAP in
  //    the effective set, so this is the one point that works: after the uid change (keep-caps
  //    had to be settable for it, and its lock would have forbidden that), before step 7 takes
  //    CAP_SETPCAP away. The uid change emptied the effective set but kept the permitted one
  //    (keep-caps), so CAP_SETPCAP is raised back into effective for this call; step 7 removes it.
  if (auto s = caps::raiseEffective(CAP_SETPCAP); !s) return s;
  if (prctl(PR_SET_SECUREBITS, secureBits(plan), 0, 0, 0) != 0)
    return Error::fromErrno("prctl(PR_SET_SECUREBITS, " + bits(secureBits(plan)) + ")", errno);

  // 7. Permitted and effective shrink to what is kept; inheritable holds it only when it must
  //    survive exec as an ambient capability.
  if (auto s = caps::setSets(plan.keep, inheritable, checked.lastCap()); !s) return s;

  // 8. Raise ambient: this is what caps mode is for, so its failure is fatal.
  if (plan.ambient) {
    for (cap_value_t cap = 0; cap <= checked.lastCap(); ++cap)
      if (plan.keep & caps::bit(cap))
        if (auto s = caps::raiseAmbient(cap); !s) return s;
  }

  // 9. Root's session keyring is inherited through all of the above; whoever possesses it may
  //    read root's keys whatever its uid (keyrings(7)). Join a new, empty one, after the uid
  //    change so that the target user owns it.
  if (auto s = keyring::joinPrivateSession(); !s) return s;

  // 10. Trust nothing: read the result back from the kernel (the securebits with prctl(2):
  //     /proc/PID/status has no line for them).
  auto state = proc::readSelf();
  if (!state) return state.error();
  if (auto s = compareCredentials(plan, *state); !s) return s;
  const int secbits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (secbits < 0) return Error::fromErrno("prctl(PR_GET_SECUREBITS)", errno);
  return compareSecureBits(plan, static_cast<unsigned>(secbits));
}

}  // namespace

Result<CheckedPlan> checkPreconditions(Plan plan) {
  // Installed setuid, setgid or with file capabilities, privbind would hand any local user the
  // right to run commands as anyone. main() refuses this first; checked again here so that no
  // drop can ever start in that state.
  if (auto s = invoker::refuseSecureExecution(); !s) return s.error();
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0) return Error::fromErrno("getresuid()", errno);
  if (getresgid(&rgid, &egid, &sgid) != 0) return Error::fromErrno("getresgid()", errno);
  if (ruid != euid || ruid != suid || rgid != egid || rgid != sgid)
    return Error::refuse("privbind is installed setuid or setgid",
                         "refusing to run; remove the bit (chmod u-s,g-s) and run it as root");

  const int lastCap = caps::lastCap();
  for (cap_value_t need : {CAP_SETUID, CAP_SETGID, CAP_SETPCAP}) {
    auto has = caps::hasEffective(need);
    if (!has) return has.error();
    if (!*has)
      return Error::refuse(
          "not privileged enough",
          "privbind needs " + caps::names(caps::bit(need), lastCap) + " (run it as root)");
  }
  for (cap_value_t cap = 0; cap <= lastCap; ++cap) {
    if ((plan.keep & caps::bit(cap)) && !caps::inBounding(cap))
      return Error::refuse(
          caps::names(caps::bit(cap), lastCap) + " is not in privbind's bounding set",
          "it cannot be granted from here; add it where the bounding set comes from (a "
          "systemd unit's CapabilityBoundingSet=, capsh --drop=..., a container's --cap-add)");
  }
  if (plan.ambient && !caps::ambientSupported())
    return Error::refuse("ambient capabilities",
                         "this kernel does not support them (Linux 4.3 or later is needed)");
  return CheckedPlan(std::move(plan), lastCap);
}

void drop(const CheckedPlan& plan, int statusFd) {
  Status s = dropSteps(plan);
  if (s) return;
  // Partly dropped: nothing may run any more, not even a destructor.
  if (statusFd < 0) exitWith(s.error());
  const std::string text = s.error().message();
  (void)!retryEintr([&] { return ::write(statusFd, text.data(), text.size()); });
  _exit(kExitFailure);
}

Status compareCredentials(const Plan& plan, const proc::Status& st) {
  const ids::Target& t = plan.target;
  const uint64_t inheritable = plan.ambient ? plan.keep : 0;
  auto mismatch = [](const std::string& what, const std::string& got, const std::string& want) {
    return Error::refuse("verifying credentials", what + " is " + got + ", expected " + want);
  };
  static const char* const kWhich[4] = {"real", "effective", "saved", "filesystem"};
  for (int i = 0; i < 4; ++i) {
    if (st.uid[i] != t.user.uid)
      return mismatch(std::string(kWhich[i]) + " uid", std::to_string(st.uid[i]),
                      std::to_string(t.user.uid));
    if (st.gid[i] != t.gid)
      return mismatch(std::string(kWhich[i]) + " gid", std::to_string(st.gid[i]),
                      std::to_string(t.gid));
  }
  std::vector<gid_t> have = st.groups, want = t.groups;
  std::sort(have.begin(), have.end());
  std::sort(want.begin(), want.end());
  if (have != want) return mismatch("the group list", list(have), list(want));
  const struct {
    const char* name;
    uint64_t got, want;
  } sets[] = {{"CapPrm", st.capPrm, plan.keep},
              {"CapEff", st.capEff, plan.keep},
              {"CapInh", st.capInh, inheritable},
              {"CapAmb", st.capAmb, inheritable},
              {"CapBnd", st.capBnd, plan.keep}};
  for (const auto& s : sets)
    if (s.got != s.want) return mismatch(s.name, hex(s.got), hex(s.want));
  // Without the flag asked for, an inherited no_new_privs (systemd's NoNewPrivileges=) stays.
  if (plan.noNewPrivs && st.noNewPrivs != 1)
    return mismatch("NoNewPrivs", std::to_string(st.noNewPrivs), "1");
  return {};
}

unsigned secureBits(const Plan& plan) {
  unsigned b = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
               SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
               SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  // Ambient capabilities raised before the lock survive execve(2) whatever this bit says
  // (capabilities(7)); with it set, raiseAmbient() in step 8 would fail. Locked off, it lets the
  // command raise only what is already permitted and inheritable, that is what it holds.
  if (!plan.ambient) b |= SECBIT_NO_CAP_AMBIENT_RAISE;
  return b;
}

Status compareSecureBits(const Plan& plan, unsigned got) {
  if (got != secureBits(plan))
    return Error::refuse("verifying credentials",
                         "securebits is " + bits(got) + ", expected " + bits(secureBits(plan)));
  return {};
}

}  // namespace privbind::privdrop
