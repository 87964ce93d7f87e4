#include "modes/broker/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <vector>

namespace privbind::broker {

namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define PRIVBIND_SANITIZED 1
#endif
#endif
#if !defined(PRIVBIND_SANITIZED) && \
    (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__))
#define PRIVBIND_SANITIZED 1
#endif
#ifndef PRIVBIND_SANITIZED
#define PRIVBIND_SANITIZED 0
#endif

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#define PRIVBIND_SECCOMP 1
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#define PRIVBIND_SECCOMP 1
#else
#define PRIVBIND_SECCOMP 0
#endif

#if PRIVBIND_SECCOMP
// What the serving loop does, and nothing more: wait (poll), learn about the descriptors a
// record carries (getsockopt, fstat), read one record and answer it on its reply end
// (recvmsg, sendto), bind, set SO_REUSEPORT (setsockopt), log (write), close, manage memory for
// strings and vectors (brk, mmap, munmap, mremap, madvise), read the clock when the vDSO cannot,
// and exit. No open, no exec, no socket, no connect, no accept, no ptrace, no setuid, no prctl.
const std::vector<long>& allowed() {
  static const std::vector<long> list = {
#ifdef SYS_poll
    SYS_poll,
#endif
    SYS_ppoll,
    SYS_getsockopt,
    SYS_setsockopt,
#ifdef SYS_fstat
    SYS_fstat,
#endif
#ifdef SYS_newfstatat
    SYS_newfstatat,
#endif
#ifdef SYS_statx
    SYS_statx,
#endif
    SYS_recvmsg,
    SYS_sendto,
    SYS_bind,
    SYS_write,
    SYS_close,
    SYS_brk,
    SYS_mmap,
    SYS_munmap,
    SYS_mremap,
    SYS_madvise,
    SYS_clock_gettime,
#ifdef SYS_gettimeofday
    SYS_gettimeofday,
#endif
    SYS_rt_sigreturn,
    SYS_restart_syscall,
    SYS_exit,
    SYS_exit_group,
#if PRIVBIND_SANITIZED
    // The sanitizer runtimes (ASan+UBSan test builds only) switch signal stacks around calls
    // and take their own locks and thread ids.
    SYS_sigaltstack,
    SYS_rt_sigaction,
    SYS_rt_sigprocmask,
    SYS_getpid,
    SYS_gettid,
    SYS_futex,
    SYS_sched_yield,
#endif
  };
  return list;
}
#endif

}  // namespace

bool seccompSupported() { return PRIVBIND_SECCOMP != 0; }

Status installSeccomp() {
#if PRIVBIND_SECCOMP
  std::vector<sock_filter> prog;
  auto stmt = [&](uint16_t code, uint32_t k) { prog.push_back(BPF_STMT(code, k)); };
  auto jump = [&](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    prog.push_back(BPF_JUMP(code, k, jt, jf));
  };
  // A system call of another architecture has other numbers: kill.
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
#if defined(__x86_64__)
  // x32 system calls share the architecture value, flagged by bit 30 of the number: kill.
  jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
  for (long nr : allowed()) {
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);

  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog.size());
  fprog.filter = prog.data();
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    return Error::fromErrno("seccomp(SECCOMP_SET_MODE_FILTER)", errno);
#endif
  return {};
}

}  // namespace privbind::broker
