/* A classic daemon that binds late: the parent exits at once, the grandchild (setsid, double
 * fork) closes every descriptor >= 3 the way it is told, waits, then binds a reserved port.
 *
 *   broker_daemon loop|closefrom|close_range|dup2 PORT REPORT_FILE
 *
 * dup2: instead of closing, dup2(1, fd) onto every number 3..63 and close them (a daemon that
 * redirects descriptors onto fixed numbers). The grandchild writes "bound PORT" (or
 * "bind: <strerror>") to REPORT_FILE, then answers one TCP client with "daemon\n" and exits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void report(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, text, strlen(text)) < 0) { /* nothing to do */
  }
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const char* how = argv[1];
  int port = atoi(argv[2]);
  const char* path = argv[3];
  if (fork() != 0) return 0; /* the parent exits: privbind's process is gone */
  setsid();
  if (fork() != 0) _exit(0);

  if (strcmp(how, "loop") == 0) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    for (int fd = 3; fd < (int)rl.rlim_cur && fd < 65536; ++fd) close(fd);
  } else if (strcmp(how, "closefrom") == 0) {
    closefrom(3);
  } else if (strcmp(how, "close_range") == 0) {
    close_range(3, ~0U, 0);
  } else if (strcmp(how, "dup2") == 0) {
    for (int fd = 3; fd < 64; ++fd) {
      dup2(1, fd);
      close(fd);
    }
  } else {
    return 2;
  }
  sleep(1);

  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char line[128];
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
    snprintf(line, sizeof line, "bind: %s\n", strerror(errno));
    report(path, line);
    return 3;
  }
  listen(s, 4);
  /* Where the lifeline is now: the dup2 case moved it (the shim rewrites the variable). */
  const char* lifeline = getenv("PRIVBIND_LIFELINE");
  snprintf(line, sizeof line, "bound %d\nlifeline %s\n", port, lifeline ? lifeline : "-");
  report(path, line);
  int c = accept(s, NULL, NULL);
  if (c >= 0) {
    if (write(c, "daemon\n", 7) < 0) { /* client gone */
    }
    close(c);
  }
  return 0;
}
