/* Times bind(2) itself, the call privbind interposes.
 *
 *   bind_bench [-t THREADS] [-n BINDS_PER_THREAD] [-w WARMUP] [-s] PORT
 *
 * Thread i binds a fresh TCP socket to 127.0.0.1:(PORT+i), n times (socket and close are not
 * timed). Every bind must succeed: a failure prints the errno and exits 1, so a number is never
 * the cost of a refusal. With -s the program binds WARMUP times, prints "ready" and waits for a
 * line on stdin; then the same with n binds (the memory benchmark reads the helper at each stop).
 * Prints one line: "binds=N median_ns=M p99_ns=P wall_s=W". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port_base, per_thread, warmup;
static long long* samples;
static pthread_barrier_t start;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long one_bind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("socket");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long long t0 = now_ns();
  int rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  long long t1 = now_ns();
  if (rc != 0) {
    fprintf(stderr, "bind_bench: bind(127.0.0.1:%d): %s\n", port, strerror(errno));
    exit(1);
  }
  close(fd);
  return t1 - t0;
}

static void* worker(void* arg) {
  long i = (long)arg;
  for (int k = 0; k < warmup; ++k) one_bind(port_base + (int)i);
  pthread_barrier_wait(&start);
  for (int k = 0; k < per_thread; ++k) samples[i * per_thread + k] = one_bind(port_base + (int)i);
  return NULL;
}

static int cmp(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  int threads = 1, serve = 0, opt;
  per_thread = 1000;
  warmup = 10;
  while ((opt = getopt(argc, argv, "t:n:w:s")) != -1) {
    switch (opt) {
      case 't':
        threads = atoi(optarg);
        break;
      case 'n':
        per_thread = atoi(optarg);
        break;
      case 'w':
        warmup = atoi(optarg);
        break;
      case 's':
        serve = 1;
        break;
      default:
        fprintf(stderr, "usage: bind_bench [-t N] [-n N] [-w N] [-s] PORT\n");
        return 2;
    }
  }
  if (optind != argc - 1 || threads < 1 || per_thread < 1) {
    fprintf(stderr, "usage: bind_bench [-t N] [-n N] [-w N] [-s] PORT\n");
    return 2;
  }
  port_base = atoi(argv[optind]);
  if (serve) {
    char line[16];
    for (int round = 0; round < 2; ++round) {
      int count = round == 0 ? warmup : per_thread;
      for (int k = 0; k < count; ++k) one_bind(port_base);
      printf("ready\n");
      fflush(stdout);
      if (!fgets(line, sizeof line, stdin)) return 1;
    }
    return 0;
  }
  size_t total = (size_t)threads * (size_t)per_thread;
  samples = calloc(total, sizeof *samples);
  pthread_t* tid = calloc((size_t)threads, sizeof *tid);
  if (!samples || !tid) return 1;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  for (long i = 0; i < threads; ++i) pthread_create(&tid[i], NULL, worker, (void*)i);
  pthread_barrier_wait(&start);
  long long t0 = now_ns();
  for (int i = 0; i < threads; ++i) pthread_join(tid[i], NULL);
  long long wall = now_ns() - t0;
  qsort(samples, total, sizeof *samples, cmp);
  printf("binds=%zu median_ns=%lld p99_ns=%lld wall_s=%.6f\n", total, samples[total / 2],
         samples[(total * 99) / 100], (double)wall / 1e9);
  return 0;
}
