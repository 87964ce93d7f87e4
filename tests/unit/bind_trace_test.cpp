// --trace-binds' line and its running -p/-n, and --max-bound's refusal reason.
#include "common/bind_trace.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

using privbind::bindtrace::Bind;
using privbind::bindtrace::Tally;

namespace {

Bind bind(uint16_t port, int protocol, const char* address) {
  Bind b;
  b.port = port;
  b.protocol = protocol;
  b.family = std::string(address).find(':') != std::string::npos ? AF_INET6 : AF_INET;
  REQUIRE(inet_pton(b.family, address, b.address) == 1);
  return b;
}

std::string line(Tally& t, const Bind& b) {
  char buf[8192];
  return std::string(buf, t.add(b, buf));
}

}  // namespace

TEST_CASE("each bind: port, protocol, address; so far: the ports folded and the count") {
  Tally t;
  CHECK(line(t, bind(53, IPPROTO_UDP, "127.0.0.1")) ==
        "privbind: trace: bind 53/udp 127.0.0.1; so far: -p 53 -n 1\n");
  CHECK(line(t, bind(53, IPPROTO_TCP, "::1")) ==
        "privbind: trace: bind 53/tcp [::1]; so far: -p 53 -n 2\n");
  CHECK(line(t, bind(80, IPPROTO_TCP, "0.0.0.0")) ==
        "privbind: trace: bind 80/tcp 0.0.0.0; so far: -p 53,80 -n 3\n");
  CHECK(line(t, bind(81, IPPROTO_TCP, "::")) ==
        "privbind: trace: bind 81/tcp [::]; so far: -p 53,80-81 -n 4\n");
  CHECK(line(t, bind(1, IPPROTO_UDP, "::ffff:127.0.0.1")) ==
        "privbind: trace: bind 1/udp [::ffff:127.0.0.1]; so far: -p 1,53,80-81 -n 5\n");
  CHECK(line(t, bind(82, IPPROTO_TCP, "10.1.2.3")) ==
        "privbind: trace: bind 82/tcp 10.1.2.3; so far: -p 1,53,80-82 -n 6\n");
}

TEST_CASE("a line cut to a small buffer still ends in a newline; nothing is written past it") {
  Tally t;
  char buf[16];
  buf[15] = 'x';
  size_t n = t.add(bind(443, IPPROTO_TCP, "127.0.0.1"), std::span<char>(buf, 15));
  CHECK(n == 15);
  CHECK(std::string(buf, n) == "privbind: trac\n");
  CHECK(buf[15] == 'x');
  CHECK(t.add(bind(443, IPPROTO_TCP, "127.0.0.1"), std::span<char>()) == 0);
}

TEST_CASE("every reserved port: the list folds into one range") {
  Tally t;
  std::string last;
  for (uint16_t p = 1; p < 1024; ++p) last = line(t, bind(p, IPPROTO_TCP, "127.0.0.1"));
  CHECK(last == "privbind: trace: bind 1023/tcp 127.0.0.1; so far: -p 1-1023 -n 1023\n");
}

TEST_CASE("--max-bound's refusal reason") {
  using privbind::bindtrace::boundAtOnceReason;
  CHECK(boundAtOnceReason(1) ==
        "--max-bound 1: the one privileged socket is bound now (a closed socket frees its place)");
  CHECK(boundAtOnceReason(4) ==
        "--max-bound 4: all 4 privileged sockets are bound now (a closed socket frees its place)");
}
