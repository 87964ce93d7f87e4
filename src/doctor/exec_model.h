// What execve(2) does to a process's capabilities and ids for one file, as the kernel computes
// it (capabilities(7) "Transformation of capabilities during execve()", security/commoncap.c):
// file capabilities, setuid/setgid, the bounding set, ambient capabilities and no_new_privs.
// doctor asks it three times: an ordinary user starting the file, caps mode, broker mode.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace privbind::doctor::execmodel {

// The file's side.
struct File {
  bool hasCaps = false;  // security.capability present
  uint64_t fP = 0, fI = 0;
  bool fE = false;
  bool setuid = false, setgid = false;
  uid_t owner = 0;
  gid_t group = 0;
};

// The process that calls execve.
struct Caller {
  uid_t uid = 65534;
  gid_t gid = 65534;
  uint64_t inh = 0, prm = 0, amb = 0, bnd = 0;
  bool noNewPrivs = false;
};

struct Outcome {
  bool eperm = false;   // execve fails with EPERM: the file's effective bit is set and some of
                        // fP is not granted (not in the bounding set)
  bool secure = false;  // AT_SECURE: ld.so runs in secure-execution mode
  uint64_t prm = 0, eff = 0;
  uid_t euid = 65534;
};

Outcome exec(const File& file, const Caller& caller);

// The callers doctor judges a target for. bnd and noNewPrivs: what an ordinary user's process
// has here (doctor's own); under no_new_privs execve(2) grants no file capability and honours
// no set-user-ID bit. cgroup mode's caller is broker mode's.
Caller ordinaryUser(uint64_t bnd, bool noNewPrivs);
Caller capsMode();    // ambient, inheritable, permitted and bounding = cap_net_bind_service, nnp
Caller brokerMode();  // no capability at all, empty bounding set, nnp

}  // namespace privbind::doctor::execmodel
