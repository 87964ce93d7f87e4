/* A classic daemon: the started process exits at once; the grandchild (fork, setsid, fork) closes
 * its descriptors the way it is told, then binds a reserved port on 127.0.0.1 late.
 *
 *   daemon loop|closefrom|close_range|dup2|all|null PORT REPORT [PIDFILE]
 *
 * loop, closefrom, close_range: close every descriptor >= 3 that way. dup2: instead of closing,
 * dup2(1, fd) onto every number 3..63 and close them (a daemon that redirects descriptors onto
 * fixed numbers). all: close every descriptor, stdio included, and put /dev/null on 0..2. null: as
 * daemon(3) and sshd do: close 3 and up as loop does, and put /dev/null on 0..2.
 *
 * Without PIDFILE it waits a second, binds, and answers one TCP client with "daemon\n", then
 * exits. With PIDFILE it writes its pid there first (so that a test can always find it to kill
 * it), binds once the started process is gone, and answers every client with "daemon uid=U\n"
 * until killed. REPORT gets "bound PORT\nlifeline L\n" (L: PRIVBIND_LIFELINE, which the shim
 * rewrites when dup2 moves the lifeline; "-" when unset) or "bind: <strerror>\n". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, text, strlen(text)) < 0) { /* nothing to do */
  }
  close(fd);
}

static int close_descriptors(const char* how) {
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
  } else if (strcmp(how, "null") == 0) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    for (int fd = 3; fd < (int)rl.rlim_cur && fd < 65536; ++fd) close(fd);
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd) dup2(null, fd);
    if (null > 2) close(null);
  } else if (strcmp(how, "all") == 0) {
    close_range(0, ~0U, 0);
    int null = open("/dev/null", O_RDWR); /* 0 */
    dup2(null, 1);
    dup2(null, 2);
  } else {
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) return 2;
  const char* how = argv[1];
  int port = atoi(argv[2]);
  const char* report = argv[3];
  const char* pidfile = argc == 5 ? argv[4] : NULL;
  pid_t original = getpid();
  if (fork() != 0) return 0; /* the command privbind started exits here */
  setsid();
  if (fork() != 0) _exit(0);

  if (close_descriptors(how) != 0) return 2;
  char line[128];
  if (pidfile) {
    snprintf(line, sizeof line, "%d\n", (int)getpid());
    write_file(pidfile, line);
    while (kill(original, 0) == 0 || errno != ESRCH) usleep(10000); /* bind after it exited */
    usleep(200000);
  } else {
    sleep(1);
  }

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
  const char* lifeline = getenv("PRIVBIND_LIFELINE");
  snprintf(line, sizeof line, "bound %d\nlifeline %s\n", port, lifeline ? lifeline : "-");
  write_file(report, line);
  if (pidfile)
    snprintf(line, sizeof line, "daemon uid=%d\n", (int)getuid());
  else
    snprintf(line, sizeof line, "daemon\n");
  do {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    if (write(c, line, strlen(line)) < 0) { /* client gone */
    }
    close(c);
  } while (pidfile);
  return 0;
}
