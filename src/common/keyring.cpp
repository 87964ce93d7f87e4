#include "common/keyring.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace privbind::keyring {

namespace {

// keyctl(2) without libkeyutils: two operations, each one system call.
long keyctl(int op, unsigned long a2, unsigned long a3) {
  return syscall(SYS_keyctl, op, a2, a3, 0, 0);
}

}  // namespace

Status joinPrivateSession() {
  // The serial of the session keyring in force now (root's), without creating one (arg 0).
  long before =
      keyctl(KEYCTL_GET_KEYRING_ID, static_cast<unsigned long>(KEY_SPEC_SESSION_KEYRING), 0);
  if (before < 0 && errno == ENOSYS) return {};  // no keyrings in this kernel: nothing to keep
  // NULL name: a new anonymous keyring, never shared with another process by name.
  long joined = keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0);
  if (joined < 0) return Error::fromErrno("keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)", errno);
  if (before >= 0 && joined == before)
    return Error::refuse(
        "keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)",
        "the session keyring did not change (serial " + std::to_string(joined) + ")");
  // Read back who owns it: "type;uid;gid;perm;description" (KEYCTL_DESCRIBE).
  char desc[256] = {};
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, joined, desc, sizeof desc - 1, 0);
  if (n < 0)
    return Error::fromErrno("keyctl(KEYCTL_DESCRIBE, " + std::to_string(joined) + ")", errno);
  const std::string want =
      "keyring;" + std::to_string(geteuid()) + ";" + std::to_string(getegid()) + ";";
  if (std::string(desc).rfind(want, 0) != 0)
    return Error::refuse(
        "session keyring " + std::to_string(joined),
        "is described as \"" + std::string(desc) + "\", expected \"" + want + "...\"");
  return {};
}

}  // namespace privbind::keyring
