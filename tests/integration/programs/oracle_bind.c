/* The doctor oracle's probe: says "started" as soon as it runs (so ld.so found every library),
 * then binds 127.0.0.1:PORT over TCP. Exit 0 and "bound" when the bind worked, 3 and
 * "bind: <strerror>" when it did not. Built with -DWITH_LIB it needs libdoctor_lib.so, which
 * the tests place where only RPATH, RUNPATH or LD_LIBRARY_PATH lead. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef WITH_LIB
int doctor_lib_answer(void);
#endif

int main(int argc, char** argv) {
  if (argc < 2) return 2;
#ifdef WITH_LIB
  if (doctor_lib_answer() != 42) return 2;
#endif
  printf("started\n");
  fflush(stdout);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 4;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    printf("bind: %s\n", strerror(errno));
    return 3;
  }
  printf("bound\n");
  close(fd);
  return 0;
}
