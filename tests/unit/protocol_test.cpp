// The helper's request decoder, fed hostile bytes: every refusal must carry the right errno, and
// nothing but a well-formed request for an allowed reserved port may pass.
#include "shim/protocol.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "modes/broker/request.h"

using namespace privbind::broker;

namespace {

constexpr uid_t kApp = 65534;
// The shim's private reply end: the second descriptor of every request.
constexpr FdFacts kReply{true, AF_UNIX, SOCK_SEQPACKET};

privbind_request request4(uint16_t port, const char* ip = "127.0.0.1") {
  privbind_request r{};
  r.magic = PRIVBIND_PROTO_MAGIC;
  r.version = PRIVBIND_PROTO_VERSION;
  r.family = AF_INET;
  r.addrlen = sizeof(sockaddr_in);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  std::memcpy(r.addr, &a, sizeof a);
  return r;
}

privbind_request request6(uint16_t port, const char* ip = "::1") {
  privbind_request r{};
  r.magic = PRIVBIND_PROTO_MAGIC;
  r.version = PRIVBIND_PROTO_VERSION;
  r.family = AF_INET6;
  r.addrlen = sizeof(sockaddr_in6);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  std::memcpy(r.addr, &a, sizeof a);
  return r;
}

std::vector<unsigned char> bytesOf(const privbind_request& r) {
  const auto* p = reinterpret_cast<const unsigned char*>(&r);
  return {p, p + sizeof r};
}

struct Case {
  std::vector<unsigned char> bytes;
  std::vector<FdFacts> fds{FdFacts{true, AF_INET, SOCK_STREAM}, kReply};
  bool truncated = false, controlTruncated = false, otherControl = false;
  Peer peer{1234, kApp};
  Policy policy{kApp, 1024, std::nullopt};

  Decision decide() const {
    Received m;
    m.bytes = bytes;
    m.fds = fds;
    m.truncated = truncated;
    m.controlTruncated = controlTruncated;
    m.otherControl = otherControl;
    return decodeRequest(m, peer, policy);
  }
};

}  // namespace

TEST_CASE("decoder: a well-formed IPv4 and IPv6 request passes with its address") {
  Case c;
  c.bytes = bytesOf(request4(80));
  Decision d = c.decide();
  CHECK(d.error == 0);
  CHECK(d.port == 80);
  CHECK(d.addressLength == sizeof(sockaddr_in));
  CHECK(formatAddress(d.address) == "127.0.0.1:80");

  c.bytes = bytesOf(request6(443, "::"));
  c.fds = {FdFacts{true, AF_INET6, SOCK_DGRAM}, kReply};
  d = c.decide();
  CHECK(d.error == 0);
  CHECK(d.port == 443);
  CHECK(d.addressLength == sizeof(sockaddr_in6));
  CHECK(formatAddress(d.address) == "[::]:443");

  c.fds = {FdFacts{true, AF_INET6, SOCK_SEQPACKET}, kReply};
  CHECK(c.decide().error == 0);
}

TEST_CASE("decoder: another user is refused with EACCES") {
  Case c;
  c.bytes = bytesOf(request4(80));
  c.peer.uid = 0;
  CHECK(c.decide().error == EACCES);
  c.peer.uid = 1000;
  CHECK(c.decide().error == EACCES);
}

TEST_CASE("decoder: descriptor count, truncation and foreign control messages") {
  Case c;
  c.bytes = bytesOf(request4(80));
  CHECK(c.decide().replyable);
  c.fds = {};
  CHECK(c.decide().error == EINVAL);
  CHECK_FALSE(c.decide().replyable);  // nowhere to answer
  c.fds = {FdFacts{true, AF_INET, SOCK_STREAM}};
  CHECK(c.decide().error == EINVAL);
  CHECK_FALSE(c.decide().replyable);
  c.fds = {FdFacts{true, AF_INET, SOCK_STREAM}, kReply, kReply};
  CHECK(c.decide().error == EINVAL);
  CHECK_FALSE(c.decide().replyable);  // which one? none
  c.fds = {FdFacts{true, AF_INET, SOCK_STREAM}, kReply};
  c.controlTruncated = true;
  CHECK(c.decide().error == EINVAL);
  CHECK_FALSE(c.decide().replyable);
  c.controlTruncated = false;
  c.truncated = true;
  CHECK(c.decide().error == EINVAL);
  CHECK(c.decide().replyable);  // a malformed record on a good reply end gets EINVAL back
  c.truncated = false;
  c.otherControl = true;
  CHECK(c.decide().error == EINVAL);
  c.otherControl = false;
  CHECK(c.decide().error == 0);
}

TEST_CASE("decoder: the second descriptor must be a unix seqpacket reply end") {
  Case c;
  c.bytes = bytesOf(request4(80));
  for (FdFacts reply : {FdFacts{false, -1, -1}, FdFacts{true, AF_UNIX, SOCK_STREAM},
                        FdFacts{true, AF_UNIX, SOCK_DGRAM}, FdFacts{true, AF_INET, SOCK_SEQPACKET},
                        FdFacts{true, AF_INET, SOCK_STREAM}}) {
    c.fds = {FdFacts{true, AF_INET, SOCK_STREAM}, reply};
    CAPTURE(reply.domain);
    CAPTURE(reply.type);
    Decision d = c.decide();
    CHECK(d.error == EINVAL);
    CHECK_FALSE(d.replyable);
  }
  // Two sockets to bind, as the old one-descriptor format might be misread: never bound.
  c.fds = {FdFacts{true, AF_INET, SOCK_STREAM}, FdFacts{true, AF_INET, SOCK_STREAM}};
  CHECK(c.decide().error == EINVAL);
}

TEST_CASE("decoder: a record without the sender's credentials matches no user") {
  Case c;
  c.bytes = bytesOf(request4(80));
  c.peer = Peer{};
  Decision d = c.decide();
  CHECK(d.error == EACCES);
  CHECK(d.replyable);
}

TEST_CASE("decoder: every length but the exact one is refused") {
  const auto good = bytesOf(request4(80));
  for (size_t n = 0; n <= good.size() + 64; ++n) {
    if (n == good.size()) continue;
    Case c;
    c.bytes.assign(n, 0);
    std::copy_n(good.begin(), std::min(n, good.size()), c.bytes.begin());
    CAPTURE(n);
    CHECK(c.decide().error == EINVAL);
  }
}

TEST_CASE("decoder: magic, version, flags") {
  Case c;
  auto r = request4(80);
  r.magic ^= 1;
  c.bytes = bytesOf(r);
  CHECK(c.decide().error == EINVAL);
  for (uint16_t v : {0, 1, 3, 0xffff}) {  // 1: the old one-descriptor format
    r = request4(80);
    r.version = v;
    c.bytes = bytesOf(r);
    CAPTURE(v);
    CHECK(c.decide().error == EINVAL);
  }
  r = request4(80);
  r.flags = 1;
  c.bytes = bytesOf(r);
  CHECK(c.decide().error == EINVAL);
}

TEST_CASE("decoder: the descriptor must be an INET socket of the request's family") {
  Case c;
  c.bytes = bytesOf(request4(80));
  c.fds = {FdFacts{false, -1, -1}, kReply};  // a regular file, a pipe
  CHECK(c.decide().error == ENOTSOCK);
  c.fds = {FdFacts{true, AF_UNIX, SOCK_STREAM}, kReply};
  CHECK(c.decide().error == EAFNOSUPPORT);
  c.fds = {FdFacts{true, AF_INET6, SOCK_STREAM}, kReply};  // IPv6 socket, IPv4 address
  CHECK(c.decide().error == EAFNOSUPPORT);
  c.fds = {FdFacts{true, AF_INET, SOCK_RAW}, kReply};
  CHECK(c.decide().error == EINVAL);

  // The request's family field and the sockaddr's own family must agree.
  auto r = request4(80);
  r.family = AF_INET6;
  c.bytes = bytesOf(r);
  c.fds = {FdFacts{true, AF_INET6, SOCK_STREAM}, kReply};
  CHECK(c.decide().error == EAFNOSUPPORT);

  // Families that are never brokered, even if the socket claims them.
  r = request4(80);
  r.family = AF_UNIX;
  r.addr[0] = AF_UNIX;
  r.addr[1] = 0;
  c.bytes = bytesOf(r);
  c.fds = {FdFacts{true, AF_UNIX, SOCK_STREAM}, kReply};
  CHECK(c.decide().error == EAFNOSUPPORT);
  r.family = AF_NETLINK;
  r.addr[0] = AF_NETLINK;
  c.bytes = bytesOf(r);
  c.fds = {FdFacts{true, AF_NETLINK, SOCK_DGRAM}, kReply};
  CHECK(c.decide().error == EAFNOSUPPORT);
}

TEST_CASE("decoder: address length and tail") {
  Case c;
  auto r = request4(80);
  for (uint32_t len : {0u, 2u, 15u, 17u, 24u, 28u, 29u, 0xffffffffu}) {
    r.addrlen = len;
    c.bytes = bytesOf(r);
    CAPTURE(len);
    CHECK(c.decide().error == EINVAL);
  }
  r = request4(80);
  r.addr[20] = 1;  // garbage after the sockaddr_in
  c.bytes = bytesOf(r);
  CHECK(c.decide().error == EINVAL);

  auto r6 = request6(80);
  c.fds = {FdFacts{true, AF_INET6, SOCK_STREAM}, kReply};
  for (uint32_t len : {16u, 24u, 27u, 29u, 1000u}) {
    r6.addrlen = len;
    c.bytes = bytesOf(r6);
    CAPTURE(len);
    CHECK(c.decide().error == EINVAL);
  }
}

TEST_CASE("decoder: ports") {
  Case c;
  c.bytes = bytesOf(request4(0));
  CHECK(c.decide().error == EINVAL);
  c.bytes = bytesOf(request4(1024));
  CHECK(c.decide().error == EINVAL);
  c.bytes = bytesOf(request4(65535));
  CHECK(c.decide().error == EINVAL);
  c.bytes = bytesOf(request4(1023));
  CHECK(c.decide().error == 0);
  c.bytes = bytesOf(request4(1));
  CHECK(c.decide().error == 0);

  // A lowered net.ipv4.ip_unprivileged_port_start narrows what the helper does.
  c.policy.unprivilegedStart = 500;
  c.bytes = bytesOf(request4(500));
  CHECK(c.decide().error == EINVAL);
  c.bytes = bytesOf(request4(499));
  CHECK(c.decide().error == 0);

  // --ports
  c.policy.unprivilegedStart = 1024;
  privbind::ports::PortSet allowed;
  allowed.add(80);
  allowed.add(443);
  c.policy.ports = allowed;
  c.bytes = bytesOf(request4(80));
  CHECK(c.decide().error == 0);
  c.bytes = bytesOf(request4(81));
  Decision d = c.decide();
  CHECK(d.error == EACCES);
  CHECK(d.policyRefusal);
  CHECK(d.port == 81);
}
