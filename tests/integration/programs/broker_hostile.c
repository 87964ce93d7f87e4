/* A hostile app: talks to the helper directly (the socket named in its environment) and sends
 * it everything a well-behaved shim never would. Run under privbind with -p ALLOWED.
 *
 *   broker_hostile ALLOWED_PORT DENIED_PORT CONTROL_FIFO
 *
 * Prints "helper PID" (SO_PEERCRED of the helper), reads one line from CONTROL_FIFO, runs every
 * case printing "NAME ERRNO" (the errno number the helper replied, "eof" when it hung up without
 * a reply), prints "hostile done", reads another line from CONTROL_FIFO, then sends one good
 * request and prints "good ERRNO PORT" with the port getsockname() reports afterwards. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../../src/shim/protocol.h"

static struct sockaddr_un helper;
static socklen_t helper_len;

static int conn(void) {
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  struct timeval tv = {10, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (s < 0 || connect(s, (struct sockaddr*)&helper, helper_len) != 0) {
    perror("connect");
    exit(4);
  }
  return s;
}

/* Sends one message with nfds descriptors; returns the reply's errno, -1 for EOF, -2 for a
 * malformed reply. */
static int ask(const void* buf, size_t len, const int* fds, int nfds) {
  int s = conn();
  char control[CMSG_SPACE(sizeof(int) * 16)];
  memset(control, 0, sizeof control);
  struct iovec iov = {(void*)buf, len};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
  }
  if (sendmsg(s, &msg, MSG_NOSIGNAL) < 0) {
    perror("sendmsg");
    exit(4);
  }
  struct privbind_reply reply;
  ssize_t n = recv(s, &reply, sizeof reply, 0);
  close(s);
  if (n == 0) return -1;
  if (n != (ssize_t)sizeof reply || reply.magic != PRIVBIND_PROTO_MAGIC) return -2;
  return reply.error;
}

static struct privbind_request req4(int port) {
  struct privbind_request r;
  memset(&r, 0, sizeof r);
  r.magic = PRIVBIND_PROTO_MAGIC;
  r.version = PRIVBIND_PROTO_VERSION;
  r.family = AF_INET;
  r.addrlen = sizeof(struct sockaddr_in);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  memcpy(r.addr, &a, sizeof a);
  return r;
}

static int boundPort(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr*)&ss, &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in*)&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6*)&ss)->sin6_port);
  return -1;
}

static void waitControl(const char* fifo) {
  int fd = open(fifo, O_RDONLY);
  char buf[16];
  if (fd < 0 || read(fd, buf, sizeof buf) < 0) {
    perror("control fifo");
    exit(4);
  }
  close(fd);
}

static void say(const char* name, int err) {
  if (err == -1)
    printf("%s eof\n", name);
  else
    printf("%s %d\n", name, err);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  int allowed = atoi(argv[1]), denied = atoi(argv[2]);
  const char* fifo = argv[3];
  const char* name = getenv(PRIVBIND_ENV_SOCKET);
  if (!name) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  helper.sun_family = AF_UNIX;
  memcpy(helper.sun_path + 1, name, strlen(name));
  helper_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));

  int s = conn();
  struct ucred cred;
  socklen_t clen = sizeof cred;
  getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
  close(s);
  printf("helper %d\n", (int)cred.pid);
  waitControl(fifo);

  struct privbind_request good = req4(allowed);
  int tcp = socket(AF_INET, SOCK_STREAM, 0), tcp2 = socket(AF_INET, SOCK_STREAM, 0);
  int tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
  int unixs = socket(AF_UNIX, SOCK_STREAM, 0);
  int file = open("/etc/passwd", O_RDONLY);
  int pfd[2];
  if (pipe(pfd) != 0) return 4;

  say("nofd", ask(&good, sizeof good, NULL, 0));
  int two[2] = {tcp, tcp2};
  say("twofds", ask(&good, sizeof good, two, 2));
  printf("twofds-unbound %d %d\n", boundPort(tcp), boundPort(tcp2));
  int many[12];
  for (int i = 0; i < 12; ++i) many[i] = tcp;
  say("twelvefds", ask(&good, sizeof good, many, 12));
  say("file", ask(&good, sizeof good, &file, 1));
  say("pipe", ask(&good, sizeof good, &pfd[0], 1));
  say("unix", ask(&good, sizeof good, &unixs, 1));
  say("v6socket", ask(&good, sizeof good, &tcp6, 1));
  say("short", ask(&good, sizeof good - 1, &tcp, 1));
  say("empty", ask(&good, 0, &tcp, 1));
  char big[65536];
  memset(big, 0, sizeof big);
  memcpy(big, &good, sizeof good);
  say("long", ask(big, sizeof good + 1, &tcp, 1));
  say("oversized", ask(big, sizeof big, &tcp, 1));
  struct privbind_request bad = good;
  bad.magic = 0xdeadbeef;
  say("magic", ask(&bad, sizeof bad, &tcp, 1));
  bad = good;
  bad.version = 99;
  say("version", ask(&bad, sizeof bad, &tcp, 1));
  bad = good;
  bad.addrlen = 28;
  say("addrlen", ask(&bad, sizeof bad, &tcp, 1));
  bad = good;
  bad.flags = 7;
  say("flags", ask(&bad, sizeof bad, &tcp, 1));
  bad = req4(0);
  say("port0", ask(&bad, sizeof bad, &tcp, 1));
  bad = req4(2000);
  say("unreserved", ask(&bad, sizeof bad, &tcp, 1));
  bad = req4(denied);
  say("denied", ask(&bad, sizeof bad, &tcp, 1));
  printf("tcp-unbound %d\n", boundPort(tcp));

  /* Connections that never send anything, then hang up. */
  int idle[50];
  for (int i = 0; i < 50; ++i) idle[i] = conn();
  for (int i = 0; i < 50; ++i) close(idle[i]);

  int wrong = 0;
  for (int i = 0; i < 100000; ++i)
    if (ask(&good, sizeof good, NULL, 0) != EINVAL) ++wrong;
  printf("flood-wrong %d\n", wrong);
  printf("hostile done\n");
  waitControl(fifo);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int err = ask(&good, sizeof good, &fd, 1);
  printf("good %d %d\n", err, boundPort(fd));
  return 0;
}
