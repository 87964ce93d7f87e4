/* Binds reserved ports the way a test asks and reports each result by errno name, so that a test
 * can tell EACCES (refused) from EADDRINUSE (taken) from success.
 *
 *   cgroup_binds [-w FILE] seq SPEC...     bind each SPEC in turn, keeping every socket open
 *   cgroup_binds [-w FILE] race N PORT     N threads bind 127.0.0.(i+1):PORT at one signal
 *   cgroup_binds hammer N PORT             N processes, process i pinned to CPU i % (CPUs it may
 *                                          use), bind and close UDP sockets on 127.0.0.(i+1):PORT
 *                                          as fast as they can, each until its first failure
 *   cgroup_binds later FILE SPEC           make SPEC's socket, print "socket", wait until FILE
 *                                          exists, then bind it
 *
 * SPEC is tcp4:PORT, tcp6:PORT, udp4:PORT or udp6:PORT, on 127.0.0.1 or ::1. -w waits until FILE
 * exists before binding (the test moves this process first). seq and later print "SPEC RESULT"
 * per bind; race and hammer print "ok K eacces E other O". RESULT is ok, EACCES, EADDRINUSE, EPERM
 * or errno=N. */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* result(int rc, int err, char* buf, size_t len) {
  if (rc == 0) return "ok";
  switch (err) {
    case EACCES:
      return "EACCES";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EPERM:
      return "EPERM";
    default:
      snprintf(buf, len, "errno=%d", err);
      return buf;
  }
}

/* Binds fd; returns bind's result, *err gets errno. */
static int bind_fd(int fd, int family, unsigned addr4, int port, int* err) {
  int rc;
  if (family == AF_INET) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(addr4);
    rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  } else {
    struct sockaddr_in6 a;
    int one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((unsigned short)port);
    a.sin6_addr = in6addr_loopback;
    rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  }
  *err = errno;
  return rc;
}

/* Returns bind's result; *err gets errno. The socket stays open until the process exits. */
static int bind_one(int family, int type, unsigned addr4, int port, int* err) {
  int fd = socket(family, type, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  return bind_fd(fd, family, addr4, port, err);
}

static int parse_spec(const char* spec, int* family, int* type, int* port) {
  char proto[8];
  if (sscanf(spec, "%4[a-z0-9]:%d", proto, port) != 2) return -1;
  *family = proto[3] == '6' ? AF_INET6 : AF_INET;
  *type = strncmp(proto, "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM;
  return 0;
}

/* One hammer process: pinned to cpu, it waits for the start pipe to close, then binds and closes
 * until the first failure. Exits with 0; writes "ok-count errno" to out. */
static void hammer_child(int cpu, unsigned addr4, int port, int start, int out) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
  char c;
  while (read(start, &c, 1) > 0) {
  }
  long ok = 0;
  int err = 0;
  /* Bounded, should the binds never fail (a run without -n). */
  while (ok < 1000000) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
      err = errno;
      break;
    }
    int rc = bind_fd(fd, AF_INET, addr4, port, &err);
    close(fd);
    if (rc != 0) break;
    ++ok;
  }
  char line[64];
  int n = snprintf(line, sizeof line, "%ld %d\n", ok, err);
  if (write(out, line, (size_t)n) != n) _exit(1);
  _exit(0);
}

static int hammer(int n, int port) {
  cpu_set_t allowed;
  int cpus[CPU_SETSIZE], ncpu = 0;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 1;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus[ncpu++] = c;
  int start[2], out[2];
  if (ncpu == 0 || pipe(start) != 0 || pipe(out) != 0) return 1;
  for (int k = 0; k < n; ++k) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      close(start[1]);
      close(out[0]);
      hammer_child(cpus[k % ncpu], 0x7f000001u + (unsigned)k, port, start[0], out[1]);
    }
  }
  close(start[0]);
  close(out[1]);
  usleep(100000); /* all pinned and waiting */
  close(start[1]);
  long ok = 0;
  int eacces = 0, other = 0;
  FILE* in = fdopen(out[0], "r");
  long count;
  int err;
  while (in && fscanf(in, "%ld %d", &count, &err) == 2) {
    ok += count;
    if (err == EACCES)
      ++eacces;
    else
      ++other;
  }
  while (wait(NULL) > 0) {
  }
  printf("ok %ld eacces %d other %d\n", ok, eacces, other);
  return 0;
}

static int race_port;
static pthread_barrier_t race_start;
static int race_ok, race_eacces, race_other;
static pthread_mutex_t race_lock = PTHREAD_MUTEX_INITIALIZER;

static void* racer(void* arg) {
  int i = (int)(long)arg, err = 0;
  pthread_barrier_wait(&race_start);
  int rc = bind_one(AF_INET, SOCK_STREAM, 0x7f000001u + (unsigned)i, race_port, &err);
  pthread_mutex_lock(&race_lock);
  if (rc == 0)
    ++race_ok;
  else if (err == EACCES)
    ++race_eacces;
  else
    ++race_other;
  pthread_mutex_unlock(&race_lock);
  return NULL;
}

int main(int argc, char** argv) {
  int i = 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (i + 1 < argc && strcmp(argv[i], "-w") == 0) {
    while (access(argv[i + 1], F_OK) != 0) usleep(10000);
    i += 2;
  }
  if (i >= argc) return 2;
  if (strcmp(argv[i], "seq") == 0) {
    for (++i; i < argc; ++i) {
      int family, type, port, err = 0;
      char buf[32];
      if (parse_spec(argv[i], &family, &type, &port) != 0) return 2;
      int rc = bind_one(family, type, 0x7f000001u, port, &err);
      printf("%s %s\n", argv[i], result(rc, err, buf, sizeof buf));
    }
    return 0;
  }
  if (strcmp(argv[i], "race") == 0 && i + 2 < argc) {
    int n = atoi(argv[i + 1]);
    race_port = atoi(argv[i + 2]);
    if (n < 1 || n > 250) return 2;
    pthread_t t[250];
    pthread_barrier_init(&race_start, NULL, (unsigned)n);
    for (int k = 0; k < n; ++k) pthread_create(&t[k], NULL, racer, (void*)(long)k);
    for (int k = 0; k < n; ++k) pthread_join(t[k], NULL);
    printf("ok %d eacces %d other %d\n", race_ok, race_eacces, race_other);
    return 0;
  }
  if (strcmp(argv[i], "hammer") == 0 && i + 2 < argc) {
    int n = atoi(argv[i + 1]);
    if (n < 1 || n > 250) return 2;
    return hammer(n, atoi(argv[i + 2]));
  }
  if (strcmp(argv[i], "later") == 0 && i + 2 < argc) {
    int family, type, port, err = 0;
    char buf[32];
    if (parse_spec(argv[i + 2], &family, &type, &port) != 0) return 2;
    int fd = socket(family, type, 0);
    if (fd < 0) return 1;
    printf("socket\n");
    while (access(argv[i + 1], F_OK) != 0) usleep(10000);
    int rc = bind_fd(fd, family, 0x7f000001u, port, &err);
    printf("%s %s\n", argv[i + 2], result(rc, err, buf, sizeof buf));
    return 0;
  }
  return 2;
}
