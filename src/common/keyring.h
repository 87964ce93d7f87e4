// The session keyring (keyrings(7)): inherited across fork, execve and every credential change,
// and whoever possesses it may use the keys in it with the possessor's permissions, whatever their
// uid. A process that runs as another user must not keep root's.
#pragma once

#include "common/error.h"

namespace privbind::keyring {

// Joins a new, empty, anonymous session keyring, owned by the caller's current uid and gid
// (KEYCTL_JOIN_SESSION_KEYRING with no name, as systemd's KeyringMode=private), and checks that
// the session keyring really changed. A kernel without keyrings (ENOSYS) has nothing to leak:
// that is success. Call it after the uid change, so that the keyring belongs to the target user.
Status joinPrivateSession();

}  // namespace privbind::keyring
