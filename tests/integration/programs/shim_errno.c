/* bind() as libc's: what the app sees for an unreadable address, errno after a success, and a
 * process with no descriptor left.
 *
 *   shim_errno PORT1 PORT2
 *
 * Prints, each as "NAME RC ERRNO" (errno is preset to 4242 before every call):
 *   efault   bind(fd, (void *)8, 16)                  libc: -1 EFAULT
 *   success  bind(fd, 127.0.0.1:PORT1)                libc: 0, errno still 4242
 *   emfile   bind(fd, 127.0.0.1:PORT2) with every descriptor number up to RLIMIT_NOFILE in use
 *   after    the same bind once descriptors are free again */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static void report(const char* name, int rc, int err) { printf("%s %d %d\n", name, rc, err); }

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  setvbuf(stdout, NULL, _IONBF, 0);
  int s = socket(AF_INET, SOCK_STREAM, 0);

  errno = 4242;
  int rc = bind(s, (const struct sockaddr*)8, 16);
  report("efault", rc, errno);

  struct sockaddr_in a = loopback(atoi(argv[1]));
  errno = 4242;
  rc = bind(s, (const struct sockaddr*)&a, sizeof a);
  report("success", rc, errno);

  /* No descriptor left: the limit just above the highest in use, every hole below filled. */
  int t = socket(AF_INET, SOCK_STREAM, 0);
  struct rlimit old, tight;
  getrlimit(RLIMIT_NOFILE, &old);
  tight = old;
  tight.rlim_cur = (rlim_t)t + 1;
  setrlimit(RLIMIT_NOFILE, &tight);
  int fillers[1024], nfill = 0;
  for (int fd; nfill < 1024 && (fd = dup(0)) >= 0;) fillers[nfill++] = fd;
  struct sockaddr_in b = loopback(atoi(argv[2]));
  errno = 4242;
  rc = bind(t, (const struct sockaddr*)&b, sizeof b);
  report("emfile", rc, errno);

  for (int i = 0; i < nfill; ++i) close(fillers[i]);
  setrlimit(RLIMIT_NOFILE, &old);
  errno = 4242;
  rc = bind(t, (const struct sockaddr*)&b, sizeof b);
  report("after", rc, errno);
  return 0;
}
