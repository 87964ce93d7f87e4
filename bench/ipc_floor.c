/* The floor of any out-of-process bind broker on this machine: one request the way privbind's
 * shim sends it (connect to an abstract AF_UNIX SOCK_SEQPACKET socket, a 44-byte record with one
 * descriptor in SCM_RIGHTS, a 12-byte reply, close), answered by a server that does nothing but
 * receive the descriptor, close it and reply. No checks, no bind.
 *
 *   ipc_floor [-n N]      prints "binds=N median_ns=M p99_ns=P wall_s=W" like bind_bench */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return x < y ? -1 : x > y;
}

static void serve(int listener) {
  for (;;) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    unsigned char buf[64];
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    if (recvmsg(c, &m, MSG_CMSG_CLOEXEC) > 0) {
      struct cmsghdr* h = CMSG_FIRSTHDR(&m);
      if (h && h->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(h), sizeof fd);
        close(fd);
      }
      unsigned char reply[12] = {0};
      send(c, reply, sizeof reply, MSG_NOSIGNAL);
    }
    close(c);
  }
}

int main(int argc, char** argv) {
  long n = 10000;
  if (argc == 3 && strcmp(argv[1], "-n") == 0) n = atol(argv[2]);
  if (n < 1) return 2;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  int len = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "privbind-ipc-floor-%d", getpid());
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
  int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&a, alen) != 0 || listen(listener, 128)) {
    perror("ipc_floor: listener");
    return 1;
  }
  pid_t server = fork();
  if (server == 0) serve(listener);
  close(listener);
  long long* t = calloc((size_t)n, sizeof *t);
  if (!t) return 1;
  long long w0 = now_ns();
  for (long i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    long long t0 = now_ns();
    int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (c < 0 || connect(c, (struct sockaddr*)&a, alen) != 0) {
      perror("ipc_floor: connect");
      kill(server, SIGKILL);
      return 1;
    }
    unsigned char req[44] = {0};
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {req, sizeof req};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    struct cmsghdr* h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof fd);
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    unsigned char reply[12];
    if (sendmsg(c, &m, MSG_NOSIGNAL) != (ssize_t)sizeof req ||
        recv(c, reply, sizeof reply, 0) != 12) {
      perror("ipc_floor: round trip");
      kill(server, SIGKILL);
      return 1;
    }
    close(c);
    t[i] = now_ns() - t0;
    close(fd);
  }
  long long wall = now_ns() - w0;
  kill(server, SIGKILL);
  waitpid(server, NULL, 0);
  qsort(t, (size_t)n, sizeof *t, cmp);
  printf("binds=%ld median_ns=%lld p99_ns=%lld wall_s=%.6f\n", n, t[n / 2], t[(n * 99) / 100],
         (double)wall / 1e9);
  return 0;
}
