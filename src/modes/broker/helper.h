// The broker helper: the one privileged process of broker mode. It holds CAP_NET_BIND_SERVICE
// and nothing else, runs as the command's user, answers only that user, and does one thing:
// bind a socket the app sent it to a reserved port the admin allowed.
#pragma once

#include <sys/types.h>

#include <optional>

#include "common/ports.h"
#include "common/privdrop.h"
#include "modes/broker/request.h"

namespace privbind::broker {

struct HelperConfig {
  Policy policy;
  std::optional<ports::PortSet> reuseport;  // -r: SO_REUSEPORT before binding these ports
  std::optional<unsigned> binds;            // -n: this many successful binds, then no capability
  std::optional<unsigned> maxBound;         // --max-bound: this many bound sockets at once
  bool traceBinds = false;                  // --trace-binds: a line per privileged bind
  bool verbose = false;                     // -v: one line per request on stderr
  // privbind's own process (the command after exec in place, or the terminal relay): the helper
  // writes on the caller's stderr only while it lives.
  pid_t privbind = -1;
};

// Runs in the freshly forked helper process and never returns.
// Needs: root (plan checked by checkPreconditions()), the helper's end of the AF_UNIX
// SOCK_SEQPACKET channel (the command inherits the other end), the write end of the status pipe;
// fds 0-2 open. The helper keeps a copy of the caller's stderr only as long as config.privbind
// lives (a pidfd says when it is gone, pidfd_open(2)): a caller reading privbind's stderr to its
// end
// (`out=$(privbind ... 2>&1)`, `| logger`) gets end-of-file when privbind's process is gone, not
// when a daemon it left behind is. Its lines after that are dropped; its fds 0-2 are /dev/null.
// Leaves: on success "ok <pid>\n" on the status pipe, then serves until every copy of
// the command's end is closed (end-of-file), and _exit(0)s. Once -n is reached it drops
// CAP_NET_BIND_SERVICE and goes on answering EACCES, so that privbind can say which binds -n
// refused; it says so once per port on stderr, as it does for ports -p leaves out. On any failure
// before that, the error text on the status pipe and _exit(125): the launcher then refuses to run
// the command.
[[noreturn]] void helperMain(int channel, int status, const privdrop::CheckedPlan& plan,
                             const HelperConfig& config);

}  // namespace privbind::broker
