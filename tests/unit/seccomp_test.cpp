// The seccomp allowlists as production installs them: each real list runs in a forked child,
// where an allowed call works and any other kills the child. The label builder and the filter's
// architecture check are run through a small classic-BPF interpreter.
#include "common/seccomp.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>

#include "common/bpf_program.h"
#include "modes/broker/seccomp.h"
#include "modes/cgroup/watcher.h"

using namespace privbind;

namespace {

// Runs body in a forked child under list's filter (as installed in production, sanitizer calls
// included where the build has them) and returns the child's wait status. The child makes only
// raw system calls after the filter is in place and leaves with exit_group(0).
int underFilter(const seccomp::Allowlist& list, const std::function<void()>& body,
                const std::function<void()>& before = {}) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (before) before();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(3);
    if (!seccomp::install(list)) _exit(4);
    body();
    syscall(SYS_exit_group, 0);
    _exit(5);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) REQUIRE(errno == EINTR);
  return status;
}

bool ranThrough(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
bool killedBySeccomp(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

bool widened(long nr) {
  const auto& extra = seccomp::sanitizerCalls();
  return std::find(extra.begin(), extra.end(), nr) != extra.end();
}

const seccomp::ArgRule& ruleFor(const seccomp::Allowlist& list, long nr) {
  auto it = std::find_if(list.rules.begin(), list.rules.end(),
                         [&](const seccomp::ArgRule& r) { return r.nr == nr; });
  REQUIRE(it != list.rules.end());
  return *it;
}

uint32_t argOf(const seccomp::ArgRule& rule, int index) {
  for (const auto& [i, v] : rule.equal)
    if (i == index) return v;
  FAIL("the rule has no argument " << index);
  return 0;
}

// The classic BPF subset the filters use, run on one made-up seccomp_data: what the kernel
// would return.
uint32_t evaluate(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t a = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        REQUIRE(f.k + 4 <= sizeof data);
        memcpy(&a, reinterpret_cast<const char*>(&data) + f.k, 4);
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a == f.k ? f.jt : f.jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += a >= f.k ? f.jt : f.jf;
        break;
      case BPF_RET | BPF_K:
        return f.k;
      default:
        FAIL("unexpected instruction " << f.code);
    }
  }
  FAIL("ran off the end");
  return 0;
}

#if defined(__x86_64__)
constexpr uint32_t kOwnArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kOwnArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kOwnArch = 0;
#endif

}  // namespace

TEST_SUITE("seccomp") {

TEST_CASE("sanitizer builds, and only they, widen the allowlists, by the named list") {
#if PRIVBIND_TEST_SANITIZED
  CHECK_FALSE(seccomp::sanitizerCalls().empty());
  MESSAGE("sanitizer build: every allowlist also allows "
          << seccomp::sanitizerCalls().size()
          << " calls of the sanitizer runtimes; the real lists are tested in a build without");
#else
  CHECK(seccomp::sanitizerCalls().empty());
#endif
}

TEST_CASE("the broker helper's allowlist: its calls work, others kill the helper") {
  if (!seccomp::supported()) return;
  const seccomp::Allowlist& list = broker::seccompAllowlist();
  CHECK(ranThrough(underFilter(list, [] {
    syscall(SYS_close, -1);
    timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    syscall(SYS_write, -1, "", 0);
  })));
  // Nothing the loop does not need: no open, no socket, no exec, no setuid, no prctl.
  for (long nr : {long{SYS_openat}, long{SYS_socket}, long{SYS_execve}, long{SYS_setresuid},
                  long{SYS_prctl}, long{SYS_getppid}, long{SYS_kill}}) {
    CAPTURE(nr);
    CHECK(killedBySeccomp(underFilter(list, [nr] { syscall(nr, -1, 0, 0, 0, 0, 0); })));
  }
  // getpid is one of the sanitizer runtimes' calls: the real list kills it.
  if (widened(SYS_getpid))
    MESSAGE("sanitizer build: getpid is allowed here; checked in the build without");
  else
    CHECK(killedBySeccomp(underFilter(list, [] { syscall(SYS_getpid); })));
}

TEST_CASE("the cgroup watcher's allowlist: its calls work, a wrong argument kills") {
  if (!seccomp::supported()) return;
  const seccomp::Allowlist& list = cgroupmode::watcherSeccompAllowlist();
  const seccomp::ArgRule& unlinkRule = ruleFor(list, SYS_unlinkat);
  const seccomp::ArgRule& writeRule = ruleFor(list, SYS_write);
  const int parentFd = static_cast<int>(argOf(unlinkRule, 0));
  const int removeDir = static_cast<int>(argOf(unlinkRule, 2));
  const int noticeFd = static_cast<int>(argOf(writeRule, 0));
  CHECK(removeDir == AT_REMOVEDIR);
  // The watcher's descriptors stand in as /dev/null: unlinkat then fails with ENOTDIR, after
  // the filter let it through.
  auto devNullAt = [=] {
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0 || dup2(fd, parentFd) < 0 || dup2(fd, noticeFd) < 0) _exit(6);
  };
  CHECK(ranThrough(underFilter(
      list,
      [=] {
        char c;
        syscall(SYS_read, noticeFd, &c, 0);
        syscall(SYS_pread64, noticeFd, &c, 1, 0);
        syscall(SYS_write, noticeFd, "x", 1);
        syscall(SYS_unlinkat, parentFd, "privbind-none", AT_REMOVEDIR);
        struct stat st {};
        syscall(SYS_newfstatat, parentFd, "privbind-none", &st, AT_SYMLINK_NOFOLLOW);
        syscall(SYS_close, -1);
      },
      devNullAt)));
  // The rules with one argument wrong in turn.
  CHECK(killedBySeccomp(underFilter(
      list, [=] { syscall(SYS_unlinkat, parentFd, "privbind-none", 0); }, devNullAt)));
  CHECK(killedBySeccomp(underFilter(
      list, [=] { syscall(SYS_unlinkat, parentFd + 1, "privbind-none", AT_REMOVEDIR); },
      devNullAt)));
  CHECK(killedBySeccomp(underFilter(
      list, [=] { syscall(SYS_unlinkat, AT_FDCWD, "privbind-none", AT_REMOVEDIR); }, devNullAt)));
  CHECK(killedBySeccomp(underFilter(
      list,
      [=] {
        struct stat st {};
        syscall(SYS_newfstatat, parentFd, "privbind-none", &st, 0);
      },
      devNullAt)));
  if (widened(SYS_write))
    MESSAGE(
        "sanitizer build: write is allowed to any descriptor here; checked in the build "
        "without");
  else
    CHECK(killedBySeccomp(underFilter(
        list, [=] { syscall(SYS_write, noticeFd + 1, "x", 1); }, devNullAt)));
  for (long nr : {long{SYS_openat}, long{SYS_socket}, long{SYS_execve}, long{SYS_kill},
                  long{SYS_getppid}, long{SYS_mkdirat}}) {
    CAPTURE(nr);
    CHECK(killedBySeccomp(underFilter(list, [nr] { syscall(nr, -1, 0, 0, 0, 0, 0); })));
  }
}

TEST_CASE("a system call of another architecture or ABI is killed before its number counts") {
  if (!seccomp::supported()) return;
  auto prog = seccomp::compile(broker::seccompAllowlist(), {});
  REQUIRE(prog.ok());
  seccomp_data data{};
  data.nr = SYS_close;
  data.arch = kOwnArch;
  CHECK(evaluate(*prog, data) == SECCOMP_RET_ALLOW);
  data.nr = SYS_getppid;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
  // close's number, but i386's (or arm's) architecture: there it is another call.
  data.nr = SYS_close;
  data.arch = AUDIT_ARCH_I386;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
  data.arch = AUDIT_ARCH_ARM;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
#if defined(__x86_64__)
  // x32: the same architecture value, bit 30 set in the number.
  data.arch = kOwnArch;
  data.nr = 0x40000000 | SYS_close;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
  CHECK(killedBySeccomp(
      underFilter(broker::seccompAllowlist(), [] { syscall(0x40000000 | SYS_close, -1); })));
#endif
}

TEST_CASE("an argument rule compares every argument it names") {
  if (!seccomp::supported()) return;
  seccomp::Allowlist list{{SYS_close}, {{SYS_openat, {{0, 7}, {2, 9}}}, {SYS_dup3, {{1, 4}}}}};
  auto prog = seccomp::compile(list, {});
  REQUIRE(prog.ok());
  seccomp_data data{};
  data.arch = kOwnArch;
  data.nr = SYS_openat;
  data.args[0] = 7;
  data.args[2] = 9;
  CHECK(evaluate(*prog, data) == SECCOMP_RET_ALLOW);
  data.args[2] = 8;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
  data.args[2] = 9;
  data.args[0] = 6;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
  data.nr = SYS_dup3;
  data.args[1] = 4;
  CHECK(evaluate(*prog, data) == SECCOMP_RET_ALLOW);
  data.args[1] = 5;
  CHECK(evaluate(*prog, data) == seccomp::kDenied);
  CHECK_FALSE(seccomp::compile({{}, {{SYS_dup3, {{6, 4}}}}}, {}).ok());
}

TEST_CASE("the label builder: offsets resolved, a jump out of range or backwards refused") {
  bpf::Program p;
  auto done = p.newLabel();
  p.loadWord(0);
  p.jumpIfEqual(1, done, bpf::Program::kNext);
  p.ret(7);
  p.place(done);
  p.ret(9);
  auto prog = p.finish();
  REQUIRE(prog.ok());
  REQUIRE(prog->size() == 4);
  CHECK((*prog)[1].jt == 1);
  CHECK((*prog)[1].jf == 0);

  // 300 allowed numbers: the first one's jump to "allow" would need more than 8 bits.
  seccomp::Allowlist big;
  for (long nr = 0; nr < 300; ++nr) big.allowed.push_back(nr);
  if (seccomp::supported()) {
    auto tooFar = seccomp::compile(big, {});
    REQUIRE_FALSE(tooFar.ok());
    CHECK(tooFar.error().why().find("0 to 255") != std::string::npos);
  }

  bpf::Program back;
  auto top = back.newLabel();
  back.place(top);
  back.loadWord(0);
  back.jumpIfEqual(1, top, bpf::Program::kNext);
  back.ret(0);
  CHECK_FALSE(back.finish().ok());

  bpf::Program unplaced;
  unplaced.jumpIfEqual(1, unplaced.newLabel(), bpf::Program::kNext);
  unplaced.ret(0);
  CHECK_FALSE(unplaced.finish().ok());

  bpf::Program twice;
  auto l = twice.newLabel();
  twice.place(l);
  twice.place(l);
  twice.ret(0);
  CHECK_FALSE(twice.finish().ok());
}

}  // TEST_SUITE
