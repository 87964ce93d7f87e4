/* A hostile app: talks to the helper directly over the channel it inherited (PRIVBIND_LIFELINE)
 * and sends it everything a well-behaved shim never would. Run under privbind with -p ALLOWED.
 *
 *   broker_hostile ALLOWED_PORT DENIED_PORT CONTROL_FIFO
 *
 * Reads one line from CONTROL_FIFO, runs every case printing "NAME ERRNO" (the errno number the
 * helper replied on the private reply end, "eof" when it closed that end without a reply,
 * "silence" when nothing came), prints
 * "hostile done", reads another line from CONTROL_FIFO, then sends one good request and prints
 * "good ERRNO PORT" with the port getsockname() reports afterwards. */
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
#include <sys/time.h>
#include <unistd.h>

#include "../../../src/shim/protocol.h"

static int channel = -1;

/* Sends one record with the descriptors given, then (when reply) the reply end of a fresh pair;
 * returns 0. */
static int send_record(const void* buf, size_t len, const int* fds, int nfds, int reply,
                       int* reply_end) {
  int all[20];
  int n = 0;
  for (int i = 0; i < nfds; ++i) all[n++] = fds[i];
  if (reply) all[n++] = *reply_end;
  char control[CMSG_SPACE(sizeof(int) * 20)];
  memset(control, 0, sizeof control);
  struct iovec iov = {(void*)buf, len};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (n > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(cm), all, sizeof(int) * (size_t)n);
  }
  if (sendmsg(channel, &msg, MSG_NOSIGNAL) < 0) {
    perror("sendmsg");
    exit(4);
  }
  return 0;
}

static int ask_with(const void* buf, size_t len, const int* fds, int nfds, int reply_type) {
  int pair[2];
  if (socketpair(AF_UNIX, reply_type | SOCK_CLOEXEC, 0, pair) != 0) {
    perror("socketpair");
    exit(4);
  }
  /* A datagram pair has no end-of-file: there, silence for a second is the answer. */
  struct timeval tv = {reply_type == SOCK_DGRAM ? 1 : 10, 0};
  setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  send_record(buf, len, fds, nfds, 1, &pair[1]);
  close(pair[1]);
  struct privbind_reply reply;
  ssize_t n = recv(pair[0], &reply, sizeof reply, 0);
  close(pair[0]);
  if (n == 0) return -1;
  if (n < 0) return -3;
  if (n != (ssize_t)sizeof reply || reply.magic != PRIVBIND_PROTO_MAGIC) return -2;
  return reply.error;
}

static int ask(const void* buf, size_t len, const int* fds, int nfds) {
  return ask_with(buf, len, fds, nfds, SOCK_SEQPACKET);
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
  else if (err == -3)
    printf("%s silence\n", name);
  else
    printf("%s %d\n", name, err);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  int allowed = atoi(argv[1]), denied = atoi(argv[2]);
  const char* fifo = argv[3];
  const char* number = getenv(PRIVBIND_ENV_LIFELINE);
  if (!number) return 2;
  channel = atoi(number);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
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
  say("reply-stream", ask_with(&good, sizeof good, &tcp, 1, SOCK_STREAM));
  say("reply-dgram", ask_with(&good, sizeof good, &tcp, 1, SOCK_DGRAM));
  printf("reply-unbound %d\n", boundPort(tcp));
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
  bad.version = 1; /* the old one-descriptor format */
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

  /* Records with no reply end at all, and one whose "reply end" is the channel itself: the
   * helper's answer would come back to the helper, which must drop it and carry on. */
  send_record(&good, sizeof good, &tcp, 1, 0, NULL);
  send_record(&good, sizeof good, NULL, 0, 0, NULL);
  bad = good;
  bad.magic = 0xdeadbeef;
  int loop[2] = {tcp, channel};
  send_record(&bad, sizeof bad, loop, 2, 0, NULL);
  printf("tcp-unbound-after-noreply %d\n", boundPort(tcp));

  int wrong = 0;
  for (int i = 0; i < 100000; ++i)
    if (ask(&bad, sizeof bad, &tcp, 1) != EINVAL) ++wrong;
  printf("flood-wrong %d\n", wrong);
  printf("hostile done\n");
  waitControl(fifo);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int err = ask(&good, sizeof good, &fd, 1);
  printf("good %d %d\n", err, boundPort(fd));
  return 0;
}
