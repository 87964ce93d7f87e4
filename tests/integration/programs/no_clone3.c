/* Runs a command as a container runtime's seccomp filter would: clone3(2) fails with ENOSYS (or
 * EPERM), every other system call is allowed, for the command and everything it starts.
 *
 *   no_clone3 enosys|eperm COMMAND [ARG...]
 *
 * Installed without no_new_privs, which needs CAP_SYS_ADMIN (seccomp(2)): root runs it. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const unsigned err = strcmp(argv[1], "eperm") == 0 ? EPERM : ENOSYS;
  /* The native architecture only (the test runs native binaries): the number alone decides. */
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("no_clone3: prctl(PR_SET_SECCOMP)");
    return 1;
  }
  execvp(argv[2], argv + 2);
  perror("no_clone3: execvp");
  return 127;
}
