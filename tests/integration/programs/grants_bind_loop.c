/* Binds a reserved port again and again, as an ordinary user would restart a server, and counts
 * the binds that fail: the standing grants' upgrade test runs it across `privbind grants apply`.
 *
 *   grants_bind_loop PORT STOPFILE
 *
 * Until STOPFILE exists: a TCP socket bound to 127.0.0.1:PORT, then one to [::1]:PORT, each
 * closed again. Prints "ready" after the first round, and at the end "binds N failures F" and,
 * for the first failure, "first errno E". Exit 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int try_bind(int family, int port) {
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) return errno;
  int one = 1, rc;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  } else {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
    a.sin6_addr = in6addr_loopback;
    rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  }
  int err = rc == 0 ? 0 : errno;
  close(fd);
  return err;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int port = atoi(argv[1]);
  long binds = 0, failures = 0;
  int first = 0;
  for (int round = 0; access(argv[2], F_OK) != 0; ++round) {
    int families[2] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; ++i) {
      int err = try_bind(families[i], port);
      ++binds;
      if (err) {
        ++failures;
        if (!first) first = err;
      }
    }
    if (round == 0) {
      printf("ready\n");
      fflush(stdout);
    }
  }
  printf("binds %ld failures %ld\n", binds, failures);
  if (first) printf("first errno %d\n", first);
  return 0;
}
