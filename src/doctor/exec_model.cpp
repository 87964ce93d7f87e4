#include "doctor/exec_model.h"

#include "common/caps.h"

namespace privbind::doctor::execmodel {

namespace {

bool subset(uint64_t a, uint64_t b) { return (a & ~b) == 0; }

}  // namespace

Outcome exec(const File& file, const Caller& c) {
  Outcome o;
  // no_new_privs: execve(2) does not apply the set-user-ID and set-group-ID bits at all
  // (fs/exec.c bprm_fill_uid; prctl(2) PR_SET_NO_NEW_PRIVS).
  uid_t euid = file.setuid && !c.noNewPrivs ? file.owner : c.uid;
  gid_t egid = file.setgid && !c.noNewPrivs ? file.group : c.gid;
  const bool isSetid = euid != c.uid || egid != c.gid;
  uint64_t prm = 0;
  bool effective = false;
  if (file.hasCaps) {
    // pP' = (fP & bounding) | (pI & fI). A file whose effective bit is set must get all of fP,
    // or execve fails: "capability-dumb" programs could not tell (capabilities(7)).
    prm = (file.fP & c.bnd) | (c.inh & file.fI);
    effective = file.fE;
    if (file.fE && !subset(file.fP, prm)) {
      o.eperm = true;
      return o;
    }
  }
  // A set-user-ID-root file without file capabilities: root's rules, every capability of the
  // bounding set (capabilities(7) "Capabilities and execution of programs by root"). With file
  // capabilities those win and root gets nothing more.
  if (euid == 0 && !(file.hasCaps && file.setuid)) {
    prm = c.bnd | c.inh;
    effective = true;
  }
  // File capabilities or a change of ids clear the ambient set.
  uint64_t amb = (file.hasCaps || isSetid) ? 0 : c.amb;
  // no_new_privs: no more capabilities than the caller had (prctl(2)).
  if (c.noNewPrivs && !subset(prm, c.prm)) prm &= c.prm;
  prm |= amb;
  o.prm = prm;
  o.eff = effective ? prm : amb;
  o.euid = euid;
  o.secure = isSetid || (c.uid != 0 && (effective || !subset(prm, amb)));
  return o;
}

Caller ordinaryUser(uint64_t bnd, bool noNewPrivs) {
  Caller c;
  c.bnd = bnd;
  c.noNewPrivs = noNewPrivs;
  return c;
}

Caller capsMode() {
  Caller c;
  const uint64_t nb = caps::bit(caps::kNetBindService);
  c.inh = c.prm = c.amb = c.bnd = nb;
  c.noNewPrivs = true;
  return c;
}

Caller brokerMode() {
  Caller c;
  c.noNewPrivs = true;
  return c;
}

}  // namespace privbind::doctor::execmodel
