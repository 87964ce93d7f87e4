/* Many privileged binds at once, from threads or from forked children.
 *
 *   broker_many -t|-f N PORT
 *
 * Worker i (0 <= i < N) waits on a shared start signal, binds a TCP socket to 127.0.0.(i+1):PORT,
 * checks with getsockname() that it got exactly that, then binds a second socket to the same
 * address and expects EADDRINUSE: so every reply must reach its own caller, with its own errno.
 * Prints "ok I" or "FAIL I: <why>" per worker, then "done OK/N"; exits 0 when all are ok. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int start_pipe[2];
static int port;

static int work(int i, char* why, size_t whylen) {
  char c;
  if (read(start_pipe[0], &c, 1) < 0) { /* EOF: go */
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(0x7f000001u + (unsigned)i);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    snprintf(why, whylen, "bind: %s", strerror(errno));
    return 0;
  }
  struct sockaddr_in got;
  socklen_t len = sizeof got;
  if (getsockname(fd, (struct sockaddr*)&got, &len) != 0 || got.sin_port != a.sin_port ||
      got.sin_addr.s_addr != a.sin_addr.s_addr) {
    snprintf(why, whylen, "getsockname does not match");
    return 0;
  }
  int fd2 = socket(AF_INET, SOCK_STREAM, 0);
  errno = 0;
  if (bind(fd2, (struct sockaddr*)&a, sizeof a) == 0 || errno != EADDRINUSE) {
    snprintf(why, whylen, "second bind: %s", errno ? strerror(errno) : "succeeded");
    return 0;
  }
  /* Keep the first socket until everyone is done. */
  usleep(300000);
  close(fd2);
  close(fd);
  return 1;
}

static void* thread_main(void* arg) {
  int i = (int)(long)arg;
  char why[128] = "";
  int ok = work(i, why, sizeof why);
  if (ok)
    printf("ok %d\n", i);
  else
    printf("FAIL %d: %s\n", i, why);
  return (void*)(long)ok;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  int threads = strcmp(argv[1], "-t") == 0;
  int n = atoi(argv[2]);
  port = atoi(argv[3]);
  if (n < 1 || n > 250 || pipe(start_pipe) != 0) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  int good = 0;
  if (threads) {
    pthread_t* t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; ++i) pthread_create(&t[i], NULL, thread_main, (void*)(long)i);
    close(start_pipe[1]);
    for (int i = 0; i < n; ++i) {
      void* r;
      pthread_join(t[i], &r);
      good += (int)(long)r;
    }
  } else {
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        close(start_pipe[1]);
        char why[128] = "";
        int ok = work(i, why, sizeof why);
        if (ok)
          printf("ok %d\n", i);
        else
          printf("FAIL %d: %s\n", i, why);
        _exit(ok ? 0 : 1);
      }
    }
    close(start_pipe[1]);
    int st;
    while (wait(&st) > 0)
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) ++good;
  }
  printf("done %d/%d\n", good, n);
  return good == n ? 0 : 1;
}
