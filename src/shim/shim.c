/* libprivbind-shim.so: the LD_PRELOAD half of broker mode.
 *
 * It runs inside somebody else's process, so it is C, tiny, exports only the functions it
 * interposes (everything else is hidden), allocates nothing, takes no lock and keeps errno exact.
 *
 * bind(): every call goes to the next bind() (libc) first, so every answer but EACCES, and every
 * success, is the kernel's own, errno included (an unreadable address is EFAULT, as in libc).
 * Only when the kernel says EACCES for an AF_INET/AF_INET6 address with a reserved port is the
 * socket sent to the helper over the inherited channel (SCM_RIGHTS), which binds it and answers,
 * on a private socketpair made for this one call, with the errno bind(2) would give.
 *
 * close(), close_range(), closefrom(), dup2(), dup3(): the channel is also the "lifeline": it
 * keeps the helper alive for as long as some process of the command's tree holds it. Daemons
 * close every descriptor they do not know; for the channel that close is a no-op that reports
 * success, and a dup2()/dup3() onto its number first moves it to another number.
 *
 * State comes from one environment variable read once, in the constructor (see protocol.h).
 * Without it the shim changes nothing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/kernel_limits.h"
#include "shim/protocol.h"

#define EXPORT __attribute__((visibility("default")))

/* close_range(2) has the same number on every architecture (Linux 5.9); older headers lack it. */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* How long a privileged bind waits for the helper before it gives up with EACCES. The helper
 * answers in microseconds; this is only the last resort against a stopped helper. */
#define HELPER_TIMEOUT_SECONDS 5
/* Where a lifeline that is in the way of dup2() moves to (the lowest free number from here). */
#define LIFELINE_MOVE_BASE 100

typedef int (*bind_fn)(int, const struct sockaddr*, socklen_t);
typedef int (*close_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);

static bind_fn real_bind;
static close_fn real_close;
static dup2_fn real_dup2;
static dup3_fn real_dup3;

static unsigned unprivileged_start = 1024;
/* The channel's (the lifeline's) current number, -1 when there is none: then the shim only ever
 * passes calls through. Changed by dup2() moves. */
static int lifeline = -1;
/* The channel's identity, so that a number reused by another file after a raw close is never
 * mistaken for it. */
static dev_t lifeline_dev;
static ino_t lifeline_ino;
/* Points at the digits of PRIVBIND_LIFELINE in environ, rewritten when the lifeline moves so
 * that programs this process execs find it at its new number. */
static char* lifeline_digits;

static int load_lifeline(void) { return __atomic_load_n(&lifeline, __ATOMIC_SEQ_CST); }

/* The same rule as the launcher and the helper (common/kernel_limits.h). */
static unsigned read_unprivileged_start(void) {
  char buf[16];
  int fd = open(PRIVBIND_PORT_START_PATH, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PRIVBIND_PORT_START_DEFAULT;
  ssize_t n = read(fd, buf, sizeof buf);
  real_close ? real_close(fd) : (int)syscall(SYS_close, fd);
  long v = n > 0 ? privbind_parse_port_start(buf, (size_t)n) : -1;
  return v < 0 ? PRIVBIND_PORT_START_DEFAULT : (unsigned)v;
}

static void setup_lifeline(void) {
  char* text = getenv(PRIVBIND_ENV_LIFELINE);
  if (!text) return;
  long v = 0;
  size_t i = 0;
  for (; text[i] >= '0' && text[i] <= '9' && i < 12; ++i) v = v * 10 + (text[i] - '0');
  if (i != PRIVBIND_LIFELINE_DIGITS || text[i] != 0 || v > 0x7fffffffL) return;
  /* Use the number only if it still holds what the launcher made: an AF_UNIX SOCK_SEQPACKET
   * socketpair end created by root (SO_PEERCRED of a socketpair names its creator: unix(7)). A
   * program that got the variable but not the descriptor must neither have an unrelated file
   * made unclosable nor send its sockets to it. */
  struct stat st;
  int fd = (int)v;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return;
  int type = 0, domain = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) return;
  len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) return;
  struct ucred peer;
  len = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || len != sizeof peer ||
      peer.uid != 0)
    return;
  lifeline_dev = st.st_dev;
  lifeline_ino = st.st_ino;
  lifeline_digits = text;
  __atomic_store_n(&lifeline, fd, __ATOMIC_SEQ_CST);
}

__attribute__((constructor)) static void privbind_shim_init(void) {
  int saved = errno;
  real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
  real_close = (close_fn)dlsym(RTLD_NEXT, "close");
  real_dup2 = (dup2_fn)dlsym(RTLD_NEXT, "dup2");
  real_dup3 = (dup3_fn)dlsym(RTLD_NEXT, "dup3");
  unprivileged_start = read_unprivileged_start();
  setup_lifeline();
  errno = saved;
}

/* The next function in the chain, or the system call itself if another library's constructor
 * calls us before ours has run. */
static int call_bind(int fd, const struct sockaddr* addr, socklen_t len) {
  return real_bind ? real_bind(fd, addr, len) : (int)syscall(SYS_bind, fd, addr, len);
}
static int call_close(int fd) { return real_close ? real_close(fd) : (int)syscall(SYS_close, fd); }

/* Milliseconds left until `deadline` (CLOCK_MONOTONIC), 0 when past it. */
static int remaining_ms(const struct timespec* deadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
  return ms <= 0 ? 0 : (int)ms;
}

/* Waits for `events` on fd until the deadline; 1 when ready, 0 on timeout or error. */
static int wait_for(int fd, short events, const struct timespec* deadline) {
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int rc = poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return 1;
    if (rc == 0 || errno != EINTR) return 0;
  }
}

/* Sends the socket to the helper and returns its answer as bind(2) would: 0, or -1 with errno.
 * Trouble with the helper itself (gone after -n, killed, stopped) is EACCES: the same answer the
 * kernel gave, promptly. Running out of descriptors or memory for the private pair is reported
 * as such (EMFILE, ENFILE, ENOBUFS, ENOMEM), as the kernel reports a resource problem. */
static int ask_helper(int fd, struct privbind_request* req) {
  int channel = load_lifeline();
  struct stat st;
  if (channel < 0 || fstat(channel, &st) != 0 || st.st_dev != lifeline_dev ||
      st.st_ino != lifeline_ino)
    goto refused;

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    int err = errno;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      errno = err;
      return -1;
    }
    goto refused;
  }

  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += HELPER_TIMEOUT_SECONDS;

  /* One record: the request, the socket to bind and the reply end. SEQPACKET delivers it whole,
   * so concurrent senders in the tree never interleave (unix(7)). */
  int fds[PRIVBIND_PROTO_FDS] = {fd, pair[1]};
  union {
    char buf[CMSG_SPACE(sizeof fds)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {req, sizeof *req};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cm), fds, sizeof fds);

  ssize_t n;
  for (;;) {
    /* MSG_DONTWAIT and poll: the channel's file flags are shared by the whole tree, so they are
     * never relied on; MSG_NOSIGNAL: never SIGPIPE inside the app. */
    n = sendmsg(channel, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0 || errno == EINTR) {
      if (n >= 0) break;
      continue;
    }
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(channel, POLLOUT, &deadline)) break;
  }
  call_close(pair[1]); /* the helper holds the only other copy now */
  if (n != (ssize_t)sizeof *req) goto refused_close;

  struct privbind_reply reply;
  for (;;) {
    if (!wait_for(pair[0], POLLIN, &deadline)) goto refused_close;
    n = recv(pair[0], &reply, sizeof reply, MSG_DONTWAIT);
    if (n >= 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) break;
  }
  /* End-of-file (the helper dropped the record, or exited), a record of the wrong size or
   * version: all refusals. */
  if (n != (ssize_t)sizeof reply || reply.magic != PRIVBIND_PROTO_MAGIC ||
      reply.version != PRIVBIND_PROTO_VERSION || reply.error < 0 || reply.error >= 4096)
    goto refused_close;
  call_close(pair[0]);
  if (reply.error == 0) return 0;
  errno = reply.error;
  return -1;

refused_close:
  call_close(pair[0]);
refused:
  errno = EACCES;
  return -1;
}

/* Copies len bytes at addr into buf without ever faulting: process_vm_readv(2) on this process
 * reports an unreadable range as an error instead of a SIGSEGV. Returns 0, or an errno. */
static int read_own_memory(const void* addr, void* buf, size_t len) {
  struct iovec local = {buf, len};
  void* base; /* the iovec is not const; process_vm_readv only reads from it */
  memcpy(&base, &addr, sizeof base);
  struct iovec remote = {base, len};
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return 0;
  if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
    /* Filtered out (a seccomp policy): the kernel has just copied these very bytes for the
     * failed bind(2), so a plain copy reads what it read. */
    memcpy(buf, addr, len);
    return 0;
  }
  return EFAULT; /* unmapped since, by another thread: what bind(2) would say now */
}

EXPORT int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  const int saved = errno;
  /* The real call first, whatever the address: bind(2) copies the address in before any check,
   * so an unreadable one is EFAULT and a short one EINVAL, exactly as without the shim; any
   * success (the app may hold the capability after all) and every failure but EACCES
   * (EADDRINUSE, EINVAL...) is the final answer. */
  int rc = call_bind(fd, addr, len);
  if (rc == 0 || errno != EACCES || load_lifeline() < 0) return rc;

  /* EACCES: the kernel read `len` bytes at `addr` (at most sizeof(struct sockaddr_storage)). */
  unsigned char copy[sizeof(struct sockaddr_in6)];
  size_t want = len < sizeof copy ? (size_t)len : sizeof copy;
  if (want < sizeof(sa_family_t)) goto kernel_answer;
  int err = read_own_memory(addr, copy, want);
  if (err != 0) {
    errno = err;
    return -1;
  }

  struct privbind_request req;
  memset(&req, 0, sizeof req);
  sa_family_t family;
  memcpy(&family, copy, sizeof family);
  in_port_t port_be;
  if (family == AF_INET && want >= sizeof(struct sockaddr_in)) {
    /* inet_bind() reads sizeof(struct sockaddr_in) and ignores the rest. */
    memcpy(req.addr, copy, sizeof(struct sockaddr_in));
    req.addrlen = sizeof(struct sockaddr_in);
    memcpy(&port_be, copy + offsetof(struct sockaddr_in, sin_port), sizeof port_be);
  } else if (family == AF_INET6 && want >= 24 /* SIN6_LEN_RFC2133: no sin6_scope_id */) {
    /* inet6_bind() treats a missing scope id as 0; the zeroed tail says the same. */
    memcpy(req.addr, copy, want);
    req.addrlen = sizeof(struct sockaddr_in6);
    memcpy(&port_be, copy + offsetof(struct sockaddr_in6, sin6_port), sizeof port_be);
  } else {
    goto kernel_answer; /* not INET (a unix socket path...): the kernel's EACCES is right */
  }
  unsigned port = ntohs(port_be);
  if (port == 0 || port >= unprivileged_start) goto kernel_answer;

  req.magic = PRIVBIND_PROTO_MAGIC;
  req.version = PRIVBIND_PROTO_VERSION;
  req.family = family;
  rc = ask_helper(fd, &req);
  /* bind(2) leaves errno alone on success (errno(3)); the kernel's EACCES is not ours to leak. */
  if (rc == 0) errno = saved;
  return rc;

kernel_answer:
  errno = EACCES;
  return -1;
}

/* Writes the lifeline's new number into environ in place (same width, no allocation). */
static void publish_lifeline(int fd) {
  if (!lifeline_digits) return;
  char digits[PRIVBIND_LIFELINE_DIGITS];
  unsigned v = (unsigned)fd;
  for (int i = PRIVBIND_LIFELINE_DIGITS - 1; i >= 0; --i) {
    digits[i] = (char)('0' + v % 10);
    v /= 10;
  }
  memcpy(lifeline_digits, digits, sizeof digits);
}

/* Before the lifeline's number is overwritten by dup2()/dup3(), move the lifeline out of the
 * way. If it cannot move (no free descriptor), protection ends: the app's own file must win. */
static void move_lifeline_from(int newfd) {
  int cur = load_lifeline();
  if (cur < 0 || newfd != cur) return;
  int moved = fcntl(cur, F_DUPFD, LIFELINE_MOVE_BASE);
  if (moved < 0) moved = fcntl(cur, F_DUPFD, 3);
  __atomic_store_n(&lifeline, moved, __ATOMIC_SEQ_CST);
  if (moved >= 0) publish_lifeline(moved);
  /* The dup2 that follows closes the old number, leaving exactly one copy. */
}

EXPORT int close(int fd) {
  int cur = load_lifeline();
  if (cur >= 0 && fd == cur) return 0; /* the lifeline stays; the app sees success */
  return call_close(fd);
}

EXPORT int dup2(int oldfd, int newfd) {
  if (oldfd != newfd) move_lifeline_from(newfd);
  return real_dup2 ? real_dup2(oldfd, newfd) : (int)syscall(SYS_dup3, oldfd, newfd, 0);
}

EXPORT int dup3(int oldfd, int newfd, int flags) {
  if (oldfd != newfd) move_lifeline_from(newfd);
  return real_dup3 ? real_dup3(oldfd, newfd, flags) : (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

static int sys_close_range(unsigned first, unsigned last, int flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}

/* close_range(2) over [first, last] minus the lifeline: at most two calls. */
EXPORT int close_range(unsigned int first, unsigned int last, int flags) {
  int cur = load_lifeline();
  if (cur < 0 || (unsigned)cur < first || (unsigned)cur > last)
    return sys_close_range(first, last, flags);
  int rc = 0;
  if ((unsigned)cur > first) rc = sys_close_range(first, (unsigned)cur - 1, flags);
  if (rc == 0 && (unsigned)cur < last) rc = sys_close_range((unsigned)cur + 1, last, flags);
  return rc;
}

EXPORT void closefrom(int lowfd) {
  int saved = errno;
  if (lowfd < 0) lowfd = 0;
  if (close_range((unsigned)lowfd, ~0U, 0) != 0) {
    /* Kernels before 5.9 have no close_range: close one by one up to the descriptor limit, by
     * the helper's rule (common/kernel_limits.h). */
    unsigned max = privbind_close_limit();
    int cur = load_lifeline();
    for (unsigned fd = (unsigned)lowfd; fd < max; ++fd)
      if ((int)fd != cur) call_close((int)fd);
  }
  errno = saved;
}
