/* libprivbind-shim.so: the LD_PRELOAD half of broker mode.
 *
 * It runs inside somebody else's process, so it is C, tiny, exports only the functions it
 * interposes (everything else is hidden), allocates nothing, takes no lock and keeps errno exact.
 *
 * bind(): a bind that needs no privilege goes straight to the next bind() (libc), with no IPC.
 * A bind to a reserved port is first tried as is; only when the kernel says EACCES is the socket
 * sent to the helper (SCM_RIGHTS), which binds it and answers with the errno bind(2) would give.
 *
 * close(), close_range(), closefrom(), dup2(), dup3(): the "lifeline" descriptor keeps the helper
 * alive for as long as some process of the command's tree holds it. Daemons close every
 * descriptor they do not know; for the lifeline that close is a no-op that reports success, and
 * a dup2()/dup3() onto its number first moves it to another number.
 *
 * State comes from two environment variables read once, in the constructor (see protocol.h).
 * Without them the shim changes nothing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

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

/* Abstract socket address of the helper; sock_len == 0 means "no helper: pass through". */
static struct sockaddr_un sock_addr;
static socklen_t sock_len;
static unsigned unprivileged_start = 1024;
/* The lifeline's current number, -1 when there is none; changed by dup2() moves. */
static int lifeline = -1;
/* Points at the digits of PRIVBIND_LIFELINE in environ, rewritten when the lifeline moves so
 * that programs this process execs find it at its new number. */
static char* lifeline_digits;

static int load_lifeline(void) { return __atomic_load_n(&lifeline, __ATOMIC_SEQ_CST); }

static unsigned read_unprivileged_start(void) {
  /* Per network namespace (ip-sysctl.rst); read from the kernel, never assumed. */
  char buf[16];
  int fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1024;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  real_close ? real_close(fd) : (int)syscall(SYS_close, fd);
  if (n <= 0) return 1024;
  buf[n] = 0;
  unsigned v = 0;
  ssize_t i = 0;
  for (; i < n && buf[i] >= '0' && buf[i] <= '9' && v <= 65536; ++i)
    v = v * 10 + (unsigned)(buf[i] - '0');
  if (i == 0) return 1024; /* not a number: the kernel default */
  return v > 65536 ? 65536 : v;
}

static void setup_socket(void) {
  const char* name = getenv(PRIVBIND_ENV_SOCKET);
  if (!name) return;
  size_t n = strlen(name);
  /* The launcher writes "privbind-" and 32 hex digits; anything else is not ours. */
  if (n == 0 || n + 1 > sizeof sock_addr.sun_path) return;
  memset(&sock_addr, 0, sizeof sock_addr);
  sock_addr.sun_family = AF_UNIX;
  sock_addr.sun_path[0] = 0; /* abstract namespace: unix(7) */
  memcpy(sock_addr.sun_path + 1, name, n);
  sock_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void setup_lifeline(void) {
  char* text = getenv(PRIVBIND_ENV_LIFELINE);
  if (!text) return;
  long v = 0;
  size_t i = 0;
  for (; text[i] >= '0' && text[i] <= '9' && i < 12; ++i) v = v * 10 + (text[i] - '0');
  if (i != PRIVBIND_LIFELINE_DIGITS || text[i] != 0 || v > 0x7fffffffL) return;
  /* Protect the number only if it still holds the write end of a pipe: a program that got the
   * variable but not the descriptor must not have an unrelated file made unclosable. */
  struct stat st;
  int fd = (int)v;
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY) return;
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
  setup_socket();
  setup_lifeline();
  errno = saved;
}

/* The next function in the chain, or the system call itself if another library's constructor
 * calls us before ours has run. */
static int call_bind(int fd, const struct sockaddr* addr, socklen_t len) {
  return real_bind ? real_bind(fd, addr, len) : (int)syscall(SYS_bind, fd, addr, len);
}
static int call_close(int fd) { return real_close ? real_close(fd) : (int)syscall(SYS_close, fd); }

/* Sends the socket to the helper and returns its answer as bind(2) would: 0, or -1 with errno.
 * Any trouble with the helper itself (gone after -n, killed, stopped) is EACCES: the same answer
 * the kernel gave, promptly. */
static int ask_helper(int fd, struct privbind_request* req) {
  int s = -1;
  for (int attempt = 0; attempt < 3 && s < 0; ++attempt) {
    s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) goto refused;
    /* connect(2) on a full backlog and recv(2) both honour these (socket(7)). */
    struct timeval tv = {HELPER_TIMEOUT_SECONDS, 0};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(s, (const struct sockaddr*)&sock_addr, sock_len) != 0) {
      int err = errno;
      call_close(s);
      s = -1;
      if (err != EINTR) goto refused; /* ECONNREFUSED: the helper is gone */
    }
  }
  if (s < 0) goto refused;

  /* The abstract name is visible in /proc/net/unix; once the helper has exited anyone could
   * listen on it. Only a helper running as our own user gets our socket (SO_PEERCRED is set by
   * the kernel at connect time: unix(7)). */
  struct ucred peer;
  socklen_t peer_len = sizeof peer;
  if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0 || peer_len != sizeof peer ||
      peer.uid != getuid())
    goto refused_close;

  union {
    char buf[CMSG_SPACE(sizeof(int))];
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
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);

  ssize_t n;
  do {
    n = sendmsg(s, &msg, MSG_NOSIGNAL); /* never SIGPIPE inside the app */
  } while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof *req) goto refused_close;

  struct privbind_reply reply;
  do {
    n = recv(s, &reply, sizeof reply, 0);
  } while (n < 0 && errno == EINTR);
  /* EOF (the helper exited mid-request), ECONNRESET, a timeout, a record of the wrong size or
   * version: all refusals. */
  if (n != (ssize_t)sizeof reply || reply.magic != PRIVBIND_PROTO_MAGIC ||
      reply.version != PRIVBIND_PROTO_VERSION || reply.error < 0 || reply.error >= 4096)
    goto refused_close;
  call_close(s);
  if (reply.error == 0) return 0;
  errno = reply.error;
  return -1;

refused_close:
  call_close(s);
refused:
  errno = EACCES;
  return -1;
}

EXPORT int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  if (addr == NULL || sock_len == 0 || len < (socklen_t)sizeof(sa_family_t))
    return call_bind(fd, addr, len);

  struct privbind_request req;
  memset(&req, 0, sizeof req);
  sa_family_t family;
  memcpy(&family, addr, sizeof family);
  in_port_t port_be;
  if (family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    /* inet_bind() reads sizeof(struct sockaddr_in) and ignores the rest. */
    memcpy(req.addr, addr, sizeof(struct sockaddr_in));
    req.addrlen = sizeof(struct sockaddr_in);
    memcpy(&port_be, (const char*)addr + offsetof(struct sockaddr_in, sin_port), sizeof port_be);
  } else if (family == AF_INET6 && len >= 24 /* SIN6_LEN_RFC2133: no sin6_scope_id */) {
    /* inet6_bind() treats a missing scope id as 0; the zeroed tail says the same. */
    memcpy(req.addr, addr, len < sizeof(struct sockaddr_in6) ? len : sizeof(struct sockaddr_in6));
    req.addrlen = sizeof(struct sockaddr_in6);
    memcpy(&port_be, (const char*)addr + offsetof(struct sockaddr_in6, sin6_port), sizeof port_be);
  } else {
    return call_bind(fd, addr, len); /* not INET, or too short: the kernel's answer is right */
  }
  unsigned port = ntohs(port_be);
  if (port == 0 || port >= unprivileged_start) return call_bind(fd, addr, len);

  /* Whatever the kernel accepts directly (the app may hold the capability after all), and every
   * failure but EACCES (EADDRINUSE, EINVAL...), is the final answer. */
  int rc = call_bind(fd, addr, len);
  if (rc == 0 || errno != EACCES) return rc;

  req.magic = PRIVBIND_PROTO_MAGIC;
  req.version = PRIVBIND_PROTO_VERSION;
  req.family = family;
  return ask_helper(fd, &req);
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
    /* Kernels before 5.9 have no close_range: close one by one up to the descriptor limit. */
    struct rlimit rl;
    long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                   ? (long)rl.rlim_cur
                   : 65536;
    int cur = load_lifeline();
    for (long fd = lowfd; fd < max; ++fd)
      if (fd != cur) call_close((int)fd);
  }
  errno = saved;
}
