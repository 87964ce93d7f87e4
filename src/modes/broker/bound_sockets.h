// --max-bound in broker mode: the sockets the helper bound to reserved ports, and how many of
// them are still open. The helper never keeps a copy of a socket (a copy would keep the port
// bound after the app closed it); it remembers the socket's inode and asks the kernel's socket
// diagnostics (sock_diag(7), NETLINK_SOCK_DIAG) which of them still exist.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace privbind::broker {

class BoundSockets {
 public:
  // Needs: nothing (any process may list the sockets of its network namespace). Leaves: a
  // NETLINK_SOCK_DIAG socket, close-on-exec, made before the helper's seccomp filter (which
  // allows no socket(2)); later only sendto and recvmsg on it.
  static Result<BoundSockets> open();

  // A socket the helper has just bound: its inode (fstat st_ino), domain and protocol.
  void add(ino_t inode, int domain, int protocol);

  // How many of them are open now. Lists the open TCP and UDP sockets of the domains used and
  // forgets the inodes that are not among them. If the kernel cannot list them, nothing is
  // forgotten: a socket not known to be closed still counts (fail closed).
  size_t countOpen();

 private:
  struct Entry {
    ino_t inode;
    int domain;
    int protocol;
  };
  explicit BoundSockets(UniqueFd diag) : diag_(std::move(diag)) {}
  // The inodes of every socket of (domain, protocol); false when the dump failed.
  bool list(int domain, int protocol, std::vector<ino_t>& out);
  UniqueFd diag_;
  std::vector<Entry> entries_;
};

}  // namespace privbind::broker
