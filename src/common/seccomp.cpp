#include "common/seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "common/bpf_program.h"

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

static_assert(kDenied == SECCOMP_RET_KILL_PROCESS);

}  // namespace

bool supported() { return PRIVBIND_SECCOMP != 0; }

const std::vector<long>& sanitizerCalls() {
#if PRIVBIND_SECCOMP && PRIVBIND_SANITIZED
  static const std::vector<long> calls = {
      SYS_sigaltstack, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_getpid, SYS_gettid,
      SYS_futex,       SYS_sched_yield,  SYS_mmap,           SYS_munmap, SYS_write};
#else
  static const std::vector<long> calls;
#endif
  return calls;
}

Result<std::vector<sock_filter>> compile(const Allowlist& list, const std::vector<long>& extra) {
#if PRIVBIND_SECCOMP
  bpf::Program p;
  const bpf::Program::Label allow = p.newLabel(), deny = p.newLabel();
  const auto next = bpf::Program::kNext;
  // A system call of another architecture has other numbers: kill.
  p.loadWord(offsetof(seccomp_data, arch));
  p.jumpIfEqual(kArch, next, deny);
  p.loadWord(offsetof(seccomp_data, nr));
#if defined(__x86_64__)
  // x32 system calls share the architecture value, flagged by bit 30 of the number: kill.
  p.jumpIfAtLeast(0x40000000U, deny, next);
#endif
  for (const std::vector<long>* numbers : {&list.allowed, &extra})
    for (long nr : *numbers) p.jumpIfEqual(static_cast<uint32_t>(nr), allow, next);
  // Each rule: the number (loaded again: a rule before loaded an argument), then each argument
  // in turn; any mismatch goes on to the next rule.
  for (const ArgRule& rule : list.rules) {
    const bpf::Program::Label nextRule = p.newLabel();
    p.loadWord(offsetof(seccomp_data, nr));
    p.jumpIfEqual(static_cast<uint32_t>(rule.nr), next, nextRule);
    for (const auto& [index, value] : rule.equal) {
      if (index < 0 || index > 5)
        return Error::refuse("building a seccomp filter",
                             "argument " + std::to_string(index) + " does not exist (0 to 5)");
      p.loadWord(
          static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * static_cast<size_t>(index)));
      p.jumpIfEqual(value, next, nextRule);
    }
    p.ret(SECCOMP_RET_ALLOW);
    p.place(nextRule);
  }
  p.place(deny);
  p.ret(kDenied);
  p.place(allow);
  p.ret(SECCOMP_RET_ALLOW);
  return p.finish();
#else
  (void)list;
  (void)extra;
  return std::vector<sock_filter>{};
#endif
}

Status install(const Allowlist& list) {
#if PRIVBIND_SECCOMP
  auto prog = compile(list, sanitizerCalls());
  if (!prog) return prog.error();
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog->size());
  fprog.filter = prog->data();
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    return Error::fromErrno("seccomp(SECCOMP_SET_MODE_FILTER)", errno);
#else
  (void)list;
#endif
  return {};
}

Status install(const std::vector<long>& allowed, const std::vector<ArgRule>& rules) {
  return install(Allowlist{allowed, rules});
}

}  // namespace privbind::seccomp
