/* The app side of the "faults" integration suite: privileged binds under stress, with pauses
 * at which the test acts (kills the helper, reads its memory). SIGPIPE keeps its default action,
 * so a write to a dead helper that is not guarded would kill this program with signal 13.
 *
 *   faults_app helper-dies PORT GOFILE   bind once; wait for GOFILE; bind again and report
 *                                        "second <errno name> <ms>" (or "second ok <ms>")
 *   faults_app seq N PORT GO1 GO2        100 binds, "warm", wait GO1, N binds, "done", wait GO2
 *   faults_app conc T K PORT GO1 GO2     like seq, but T threads of K binds on 127.0.0.(i+1)
 *   faults_app hold PORT                 bind once, print "bound", then sleep until killed
 *   faults_app groups PORT               print "groups N" (getgroups), bind once, "bind ok"
 *
 * Every bind is checked with getsockname(): the address and port must be exactly those asked
 * for. The first wrong result prints "FAIL <why>" and exits 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_file(const char* path) {
  struct stat st;
  while (stat(path, &st) != 0) usleep(5000);
}

static const char* errname(int e) {
  switch (e) {
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EINVAL:
      return "EINVAL";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case EPIPE:
      return "EPIPE";
    default:
      return "other";
  }
}

/* Binds a fresh TCP socket to 127.0.0.<host>:port and checks the result. Returns 0 or errno. */
static int bind_checked(unsigned host, int port, int keep) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    printf("FAIL socket: %s\n", strerror(errno));
    exit(1);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(0x7f000000u + host);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  struct sockaddr_in got;
  socklen_t len = sizeof got;
  memset(&got, 0, sizeof got);
  if (getsockname(fd, (struct sockaddr*)&got, &len) != 0 || got.sin_family != AF_INET ||
      got.sin_port != a.sin_port || got.sin_addr.s_addr != a.sin_addr.s_addr) {
    printf("FAIL bound to the wrong address (asked 127.0.0.%u:%d)\n", host, port);
    exit(1);
  }
  if (!keep) close(fd);
  return 0;
}

static void binds(unsigned host, int port, long n) {
  for (long k = 0; k < n; ++k) {
    int e = bind_checked(host, port, 0);
    if (e != 0) {
      printf("FAIL bind %ld of %ld to 127.0.0.%u:%d: %s\n", k + 1, n, host, port, strerror(e));
      exit(1);
    }
  }
}

static int conc_port;
static long conc_k;

static void* conc_worker(void* arg) {
  binds((unsigned)(long)arg + 1, conc_port, conc_k);
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "helper-dies") == 0) {
    int port = atoi(argv[2]);
    int e = bind_checked(1, port, 0);
    printf("first %s\n", e ? errname(e) : "ok");
    wait_file(argv[3]);
    long long t0 = now_ms();
    e = bind_checked(1, port, 0);
    printf("second %s %lld\n", e ? errname(e) : "ok", now_ms() - t0);
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "seq") == 0) {
    long n = atol(argv[2]);
    int port = atoi(argv[3]);
    binds(1, port, 100);
    printf("warm\n");
    wait_file(argv[4]);
    binds(1, port, n);
    printf("done %ld\n", n);
    wait_file(argv[5]);
    return 0;
  }
  if (argc == 7 && strcmp(argv[1], "conc") == 0) {
    long t = atol(argv[2]);
    conc_k = atol(argv[3]);
    conc_port = atoi(argv[4]);
    if (t < 1 || t > 250) return 2;
    binds(1, conc_port, 100);
    printf("warm\n");
    wait_file(argv[5]);
    pthread_t tid[250];
    for (long i = 0; i < t; ++i) pthread_create(&tid[i], NULL, conc_worker, (void*)i);
    for (long i = 0; i < t; ++i) pthread_join(tid[i], NULL);
    printf("done %ld\n", t * conc_k);
    wait_file(argv[6]);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "hold") == 0) {
    int e = bind_checked(1, atoi(argv[2]), 1);
    printf("%s\n", e ? errname(e) : "bound");
    for (;;) pause();
  }
  if (argc == 3 && strcmp(argv[1], "groups") == 0) {
    printf("groups %d\n", getgroups(0, NULL));
    int e = bind_checked(1, atoi(argv[2]), 0);
    printf("bind %s\n", e ? errname(e) : "ok");
    return e ? 1 : 0;
  }
  fprintf(stderr, "faults_app: bad arguments\n");
  return 2;
}
