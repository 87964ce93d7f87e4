/* Two values read from the kernel that the launcher, the broker helper and the preload shim must
 * read by one rule. Plain C, header only, no allocation: the shim (C, inside other people's
 * processes, libc only) includes it as well as the C++ code. */
#ifndef PRIVBIND_COMMON_KERNEL_LIMITS_H
#define PRIVBIND_COMMON_KERNEL_LIMITS_H

#include <stddef.h>
#include <sys/resource.h>

/* Per network namespace (Documentation/networking/ip-sysctl.rst); read, never assumed. */
#define PRIVBIND_PORT_START_PATH "/proc/sys/net/ipv4/ip_unprivileged_port_start"
/* The kernel's default, taken where the file cannot be read or does not hold a number. */
#define PRIVBIND_PORT_START_DEFAULT 1024u
/* Where a close-one-at-a-time loop stops at the latest: fs.nr_open's default, the ceiling of
 * RLIMIT_NOFILE unless an administrator raised it. */
#define PRIVBIND_CLOSE_LIMIT_MAX (1u << 20)

/* The sysctl file's text ("1024\n") as a number: decimal digits, then at most one newline. -1 for
 * anything else. Above 65536 it is clamped to 65536 (every port reserved); the kernel itself
 * keeps the value within 0..65535. */
static inline long privbind_parse_port_start(const char* text, size_t len) {
  unsigned long v = 0;
  size_t i = 0;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; ++i)
    if (v <= 65536) v = v * 10 + (unsigned long)(text[i] - '0');
  if (i == 0) return -1;
  if (i < len && !(i + 1 == len && text[i] == '\n')) return -1;
  return v > 65536 ? 65536 : (long)v;
}

/* How far closing one descriptor at a time goes on kernels without close_range(2) (before 5.9):
 * up to the soft RLIMIT_NOFILE, at most PRIVBIND_CLOSE_LIMIT_MAX, which is also taken when the
 * limit is unlimited or cannot be read. (void): C's prototype for no arguments. */
static inline unsigned privbind_close_limit(void) { /* NOLINT(modernize-redundant-void-arg) */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
      rl.rlim_cur > PRIVBIND_CLOSE_LIMIT_MAX)
    return PRIVBIND_CLOSE_LIMIT_MAX;
  return (unsigned)rl.rlim_cur;
}

#endif /* PRIVBIND_COMMON_KERNEL_LIMITS_H */
