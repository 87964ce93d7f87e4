/* Another local user trying to reach a broker helper, in a loop, for SECONDS seconds.
 *
 *   broker_intruder APP_PID CHANNEL_FD SECONDS
 *
 * Each round: connect(2) to the command's channel through its /proc magic link (the only name
 * the channel has), open(2) that link, take it with pidfd_getfd(2); every 50 rounds, also look
 * for any socket named after privbind in /proc/net/unix and connect to each. Prints one line:
 *   rounds R connected C found F connect E open O getfd G
 * where E, O and G are the errno numbers of the last failed attempt (0: none failed). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static int try_connect(const char* path, int abstract_name) {
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  size_t n = strlen(path);
  if (n + 2 > sizeof a.sun_path) n = sizeof a.sun_path - 2;
  memcpy(a.sun_path + (abstract_name ? 1 : 0), path, n);
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1); /* NUL or @ */
  int rc = connect(s, (struct sockaddr*)&a, len);
  int err = rc == 0 ? 0 : errno;
  close(s);
  return err;
}

/* Connects to every socket in /proc/net/unix whose name mentions privbind; returns how many it
 * found and adds the successful connects to *connected. */
static long scan(long* connected) {
  FILE* f = fopen("/proc/net/unix", "r");
  if (!f) return 0;
  char line[512];
  long found = 0;
  while (fgets(line, sizeof line, f)) {
    char* name = strstr(line, "privbind");
    if (!name) continue;
    ++found;
    char* start = strrchr(line, ' ');
    if (!start) continue;
    ++start;
    start[strcspn(start, "\n")] = 0;
    int abstract_name = start[0] == '@';
    if (try_connect(abstract_name ? start + 1 : start, abstract_name) == 0) ++*connected;
  }
  fclose(f);
  return found;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const int pid = atoi(argv[1]), fd = atoi(argv[2]), seconds = atoi(argv[3]);
  char link[64];
  snprintf(link, sizeof link, "/proc/%d/fd/%d", pid, fd);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  struct timespec end, now;
  clock_gettime(CLOCK_MONOTONIC, &end);
  end.tv_sec += seconds;
  long rounds = 0, connected = 0, found = 0;
  int connect_err = 0, open_err = 0, getfd_err = 0;
  do {
    int e = try_connect(link, 0);
    if (e == 0)
      ++connected;
    else
      connect_err = e;
    int o = open(link, O_RDWR | O_CLOEXEC);
    if (o >= 0) {
      ++connected;
      close(o);
    } else
      open_err = errno;
    if (pidfd >= 0) {
      int g = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
      if (g >= 0) {
        ++connected;
        close(g);
      } else
        getfd_err = errno;
    } else {
      getfd_err = errno;
    }
    if (rounds % 50 == 0) found += scan(&connected);
    ++rounds;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
  printf("rounds %ld connected %ld found %ld connect %d open %d getfd %d\n", rounds, connected,
         found, connect_err, open_err, getfd_err);
  return 0;
}
