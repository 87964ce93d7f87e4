/* A small real server for the tests: binds a reserved port, reports, serves.
 *
 *   bind_server [-4|-6|-d] [-U] [-c COUNT] PORT
 *     -4  127.0.0.1 (default)   -6  ::1 (IPV6_V6ONLY)   -d  the dual-stack wildcard [::]
 *     -U  UDP instead of TCP     -c  serve COUNT clients, then exit 0 (default: until killed)
 *
 * Prints "bound PORT" once bound, or "bind: <strerror>" and exits 3. Each TCP client (or UDP
 * datagram) gets one line: "uid=U euid=E pid=P". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int family = AF_INET, dual = 0, type = SOCK_STREAM, count = -1, opt;
  while ((opt = getopt(argc, argv, "46dUc:")) != -1) {
    switch (opt) {
      case '4':
        family = AF_INET;
        break;
      case '6':
        family = AF_INET6;
        break;
      case 'd':
        family = AF_INET6;
        dual = 1;
        break;
      case 'U':
        type = SOCK_DGRAM;
        break;
      case 'c':
        count = atoi(optarg);
        break;
      default:
        return 2;
    }
  }
  if (optind >= argc) return 2;
  int port = atoi(argv[optind]);
  int fd = socket(family, type, 0);
  if (fd < 0) {
    perror("socket");
    return 3;
  }
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in* a = (struct sockaddr_in*)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((unsigned short)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else {
    struct sockaddr_in6* a = (struct sockaddr_in6*)&ss;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one, sizeof one);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((unsigned short)port);
    a->sin6_addr = dual ? in6addr_any : in6addr_loopback;
    len = sizeof *a;
  }
  if (bind(fd, (struct sockaddr*)&ss, len) != 0) {
    printf("bind: %s\n", strerror(errno));
    return 3;
  }
  printf("bound %d\n", port);
  fflush(stdout);
  char line[128];
  snprintf(line, sizeof line, "uid=%d euid=%d pid=%d\n", (int)getuid(), (int)geteuid(),
           (int)getpid());
  if (type == SOCK_STREAM) {
    if (listen(fd, 64) != 0) {
      perror("listen");
      return 3;
    }
    for (int served = 0; count < 0 || served < count; ++served) {
      int c = accept(fd, NULL, NULL);
      if (c < 0) continue;
      if (write(c, line, strlen(line)) < 0) perror("write");
      close(c);
    }
  } else {
    for (int served = 0; count < 0 || served < count; ++served) {
      char buf[64];
      struct sockaddr_storage from;
      socklen_t flen = sizeof from;
      if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen) < 0) continue;
      sendto(fd, line, strlen(line), 0, (struct sockaddr*)&from, flen);
    }
  }
  return 0;
}
