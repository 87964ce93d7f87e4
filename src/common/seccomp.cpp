#include "common/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace privbind::seccomp {

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

#if PRIVBIND_SECCOMP && PRIVBIND_SANITIZED
// The sanitizer runtimes (ASan+UBSan test builds only) switch signal stacks around calls, take
// their own locks and thread ids, map memory and write their reports.
constexpr long kSanitizerCalls[] = {
    SYS_sigaltstack, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_getpid, SYS_gettid,
    SYS_futex,       SYS_sched_yield,  SYS_mmap,           SYS_munmap, SYS_write};
#endif

}  // namespace

bool supported() { return PRIVBIND_SECCOMP != 0; }

Status install(const std::vector<long>& allowed, const std::vector<ArgRule>& rules) {
#if PRIVBIND_SECCOMP
  std::vector<sock_filter> prog;
  auto stmt = [&](uint16_t code, uint32_t k) { prog.push_back(BPF_STMT(code, k)); };
  auto jump = [&](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    prog.push_back(BPF_JUMP(code, k, jt, jf));
  };
  auto loadNr = [&] { stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)); };
  // A system call of another architecture has other numbers: kill.
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  loadNr();
#if defined(__x86_64__)
  // x32 system calls share the architecture value, flagged by bit 30 of the number: kill.
  jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
  std::vector<long> all = allowed;
#if PRIVBIND_SANITIZED
  all.insert(all.end(), std::begin(kSanitizerCalls), std::end(kSanitizerCalls));
#endif
  for (long nr : all) {
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  // Each rule: the number, then each argument in turn; any mismatch goes on to the next rule
  // with the number loaded again.
  for (const ArgRule& rule : rules) {
    const auto n = static_cast<uint8_t>(rule.equal.size());
    // Instructions after the number's test: two per argument, then the allow.
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(rule.nr), 0,
         static_cast<uint8_t>(2 * n + 2));
    for (uint8_t i = 0; i < n; ++i) {
      const auto& [index, value] = rule.equal[i];
      stmt(BPF_LD | BPF_W | BPF_ABS,
           static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * static_cast<size_t>(index)));
      jump(BPF_JMP | BPF_JEQ | BPF_K, value, 0, static_cast<uint8_t>(2 * (n - i - 1) + 1));
    }
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    loadNr();
  }
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);

  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog.size());
  fprog.filter = prog.data();
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    return Error::fromErrno("seccomp(SECCOMP_SET_MODE_FILTER)", errno);
#else
  (void)allowed;
  (void)rules;
#endif
  return {};
}

}  // namespace privbind::seccomp
