#include "modes/broker/seccomp.h"

#include <sys/syscall.h>

#include <vector>

#include "common/seccomp.h"

namespace privbind::broker {

// What the serving loop does, and nothing more: wait (poll), learn about the descriptors a
// record carries (getsockopt, fstat), read one record and answer it on its reply end
// (recvmsg, sendto), bind, set SO_REUSEPORT (setsockopt), log (write), close, manage memory for
// strings and vectors (brk, mmap, munmap, mremap, madvise), read the clock when the vDSO cannot,
// drop its capability once -n is reached (capset: it can only lower what the helper holds), and
// exit. No open, no exec, no socket, no connect, no accept, no ptrace, no setuid, no prctl.
const seccomp::Allowlist& seccompAllowlist() {
  static const seccomp::Allowlist list = {{
#ifdef SYS_poll
                                              SYS_poll,
#endif
                                              SYS_ppoll,        SYS_getsockopt,      SYS_setsockopt,
#ifdef SYS_fstat
                                              SYS_fstat,
#endif
#ifdef SYS_newfstatat
                                              SYS_newfstatat,
#endif
#ifdef SYS_statx
                                              SYS_statx,
#endif
                                              SYS_recvmsg,      SYS_sendto,          SYS_bind,
                                              SYS_write,        SYS_close,           SYS_brk,
                                              SYS_mmap,         SYS_munmap,          SYS_mremap,
                                              SYS_madvise,      SYS_clock_gettime,   SYS_capset,
#ifdef SYS_gettimeofday
                                              SYS_gettimeofday,
#endif
                                              SYS_rt_sigreturn, SYS_restart_syscall, SYS_exit,
                                              SYS_exit_group,
                                          },
                                          {}};
  return list;
}

Status installSeccomp() { return seccomp::install(seccompAllowlist()); }

}  // namespace privbind::broker
