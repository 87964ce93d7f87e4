// The start-up report of a privileged child that outlives the command (broker mode's helper,
// cgroup mode's watcher): written on a close-on-exec pipe before it serves, read by privbind
// until the pipe closes.
//   "ok <pid>\n"                 ready
//   "error <why>\n"              it failed and exits (possibly after "ok <pid>\n", when a last
//                                step after the report failed)
//   any other line               a state of the child's own ("lost\n": the watcher's name was
//                                taken by another run)
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace privbind::startup {

struct Report {
  std::optional<pid_t> ready;  // exactly "ok <pid>\n" and nothing after it
  std::string message;  // otherwise: the why of the last "error", or the line read, without its
                        // newline; "exited before it was ready" when nothing was written
};

// Reads fd to end of file (at most 4 KiB; the child is privbind's own, but a report is short).
Report read(int fd);

}  // namespace privbind::startup
