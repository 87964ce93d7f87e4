/* A classic daemon: the started process exits at once; the grandchild (fork, setsid, fork) closes
 * every descriptor, writes its pid file, waits until its original parent is gone, then binds a
 * reserved port on 127.0.0.1 and answers every TCP client with "daemon uid=U" until killed.
 *
 *   cgroup_daemon PORT PIDFILE REPORT
 *
 * REPORT gets "bound PORT" or "bind: <strerror>". The pid file is written before the bind, so a
 * test can always find the daemon to kill it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, text, strlen(text)) < 0) { /* nothing to do */
  }
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  int port = atoi(argv[1]);
  const char* pidfile = argv[2];
  const char* report = argv[3];
  pid_t original = getpid();
  if (fork() != 0) return 0; /* the command privbind started exits here */
  setsid();
  if (fork() != 0) _exit(0);
  close_range(0, ~0U, 0); /* every descriptor, stdio included */
  int null = open("/dev/null", O_RDWR);
  dup2(null, 1);
  dup2(null, 2);
  char line[64];
  snprintf(line, sizeof line, "%d\n", (int)getpid());
  write_file(pidfile, line);
  while (kill(original, 0) == 0 || errno != ESRCH) usleep(10000); /* bind after it exited */
  usleep(200000);

  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
    snprintf(line, sizeof line, "bind: %s\n", strerror(errno));
    write_file(report, line);
    return 3;
  }
  listen(s, 8);
  snprintf(line, sizeof line, "bound %d\n", port);
  write_file(report, line);
  snprintf(line, sizeof line, "daemon uid=%d\n", (int)getuid());
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    if (write(c, line, strlen(line)) < 0) { /* client gone */
    }
    close(c);
  }
}
