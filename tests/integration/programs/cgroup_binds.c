/* Binds reserved ports the way a test asks and reports each result by errno name, so that a test
 * can tell EACCES (refused) from EADDRINUSE (taken) from success.
 *
 *   cgroup_binds [-w FILE] seq SPEC...     bind each SPEC in turn, keeping every socket open
 *   cgroup_binds [-w FILE] race N PORT     N threads bind 127.0.0.(i+1):PORT at one signal
 *
 * SPEC is tcp4:PORT, tcp6:PORT, udp4:PORT or udp6:PORT, on 127.0.0.1 or ::1. -w waits until FILE
 * exists before binding (the test moves this process first). seq prints "SPEC RESULT" per bind;
 * race prints "ok K eacces E other O". RESULT is ok, EACCES, EADDRINUSE, EPERM or errno=N. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* Returns bind's result; *err gets errno. The socket stays open until the process exits. */
static int bind_one(int family, int type, unsigned addr4, int port, int* err) {
  int fd = socket(family, type, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
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
      char proto[8];
      int port, err = 0;
      char buf[32];
      if (sscanf(argv[i], "%4[a-z0-9]:%d", proto, &port) != 2) return 2;
      int family = proto[3] == '6' ? AF_INET6 : AF_INET;
      int type = strncmp(proto, "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM;
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
  return 2;
}
