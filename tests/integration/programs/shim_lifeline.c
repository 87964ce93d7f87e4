/* The shim's lifeline protection, without privbind around it.
 *
 *   LD_PRELOAD=libprivbind-shim.so shim_lifeline
 *
 * First run (no PRIVBIND_LIFELINE): makes an AF_UNIX SOCK_SEQPACKET socketpair as privbind does,
 * puts one end on fd 7 (inheritable), sets PRIVBIND_LIFELINE=0000000007 and re-execs itself;
 * then waits for end-of-file on the other end and prints "eof" when the last copy is gone. Second
 * run (under the shim): close(), closefrom(), close_range() and dup2() onto fd 7 must leave the
 * channel open somewhere, while every other descriptor they target is really closed. Prints "ok"
 * or "FAIL: <why>". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static int isChannel(int fd) { /* the channel: a unix seqpacket socket */
  struct stat st;
  int type = 0;
  socklen_t len = sizeof type;
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
         getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

static int isOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

#define EXPECT(cond, why)        \
  do {                           \
    if (!(cond)) {               \
      printf("FAIL: %s\n", why); \
      return 1;                  \
    }                            \
  } while (0)

static int child(void) {
  EXPECT(isChannel(7), "lifeline not inherited");
  EXPECT(close(7) == 0, "close(lifeline) did not return 0");
  EXPECT(isChannel(7), "close() closed the lifeline");

  int a = open("/dev/null", O_RDONLY); /* lower than 7 */
  int b = fcntl(a, F_DUPFD, 20);       /* higher than 7 */
  closefrom(3);
  EXPECT(isChannel(7), "closefrom() closed the lifeline");
  EXPECT(!isOpen(a) && !isOpen(b), "closefrom() left other descriptors open");

  a = open("/dev/null", O_RDONLY);
  b = fcntl(a, F_DUPFD, 20);
  EXPECT(close_range(3, ~0U, 0) == 0, "close_range() failed");
  EXPECT(isChannel(7), "close_range() closed the lifeline");
  EXPECT(!isOpen(a) && !isOpen(b), "close_range() left other descriptors open");

  /* A daemon putting its own file on fd 7: the dup2 wins, the lifeline moves. */
  int n = open("/dev/null", O_WRONLY);
  EXPECT(dup2(n, 7) == 7, "dup2 onto the lifeline failed");
  EXPECT(!isChannel(7), "fd 7 is not the app's file after dup2");
  const char* moved = getenv("PRIVBIND_LIFELINE");
  EXPECT(moved && strlen(moved) == 10, "PRIVBIND_LIFELINE lost its fixed width");
  int m = atoi(moved);
  EXPECT(m >= 100 && isChannel(m), "the lifeline did not move to 100 or above");
  EXPECT(close(7) == 0 && !isOpen(7), "the app's own fd 7 is not closable");
  EXPECT(close(m) == 0 && isChannel(m), "the moved lifeline is not protected");
  printf("ok\n");
  return 0;
}

int main(int argc, char** argv) {
  (void)argc;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (getenv("PRIVBIND_LIFELINE")) return child();
  int p[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p) != 0 || dup2(p[1], 7) != 7) return 2;
  close(p[1]);
  setenv("PRIVBIND_LIFELINE", "0000000007", 1);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    execve("/proc/self/exe", argv, environ);
    _exit(127);
  }
  close(7);
  int st = 0;
  waitpid(pid, &st, 0);
  char c;
  if (read(p[0], &c, 1) == 0) printf("eof\n");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
