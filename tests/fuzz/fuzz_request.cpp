// broker::decodeRequest, the helper's whole defence against the app side. The input is
//   byte 0       flags: bit 0 MSG_TRUNC, bit 1 MSG_CTRUNC, bit 2 foreign control message,
//                bit 3 peer uid differs from the served uid, bit 4 a --ports policy is given
//   byte 1       number of descriptors (0..3), then 3 bytes of facts for each (a request carries
//                two: the socket to bind and the shim's AF_UNIX SOCK_SEQPACKET reply end)
//   bytes 2..3   net.ipv4.ip_unprivileged_port_start (little endian)
//   [policy]     when bit 4: 2 bytes length N, then N bytes of port-list text for ports::parse
//   the rest     the record as recvmsg(2) delivered it
// The decision is checked against a reference written from the header's rules: a request is
// granted exactly when every rule holds, and a grant carries exactly the requested address.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "common/ports.h"
#include "fuzz_check.h"
#include "modes/broker/request.h"
#include "shim/protocol.h"

namespace {

using namespace privbind;

constexpr uid_t kServed = 65534;
constexpr int kDomains[] = {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET, -1, 0, 255};
constexpr int kTypes[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_RDM, -1, 0, 99};

struct Reader {
  const uint8_t* p;
  size_t n;
  bool take(size_t k, const uint8_t*& out) {
    if (n < k) return false;
    out = p;
    p += k;
    n -= k;
    return true;
  }
};

// The rules of request.h, written out again independently.
bool referenceReplyable(const broker::Received& m) {
  return !m.controlTruncated && m.fds.size() == 2 && m.fds[1].isSocket &&
         m.fds[1].domain == AF_UNIX && m.fds[1].type == SOCK_SEQPACKET;
}

bool referenceGrants(const broker::Received& m, bool peerMatches, const broker::Policy& policy) {
  if (!peerMatches || m.truncated || m.controlTruncated || m.otherControl) return false;
  if (!referenceReplyable(m) || m.bytes.size() != sizeof(privbind_request)) return false;
  privbind_request req;
  std::memcpy(&req, m.bytes.data(), sizeof req);
  if (req.magic != PRIVBIND_PROTO_MAGIC || req.version != PRIVBIND_PROTO_VERSION || req.flags)
    return false;
  const broker::FdFacts& fd = m.fds[0];
  if (!fd.isSocket) return false;
  sa_family_t own;
  std::memcpy(&own, req.addr, sizeof own);
  if (fd.domain != req.family || own != req.family) return false;
  uint16_t portBe;
  if (req.family == AF_INET) {
    if (req.addrlen != 16) return false;
    for (size_t i = 16; i < sizeof req.addr; ++i)
      if (req.addr[i]) return false;
    std::memcpy(&portBe, req.addr + 2, 2);
  } else if (req.family == AF_INET6) {
    if (req.addrlen != 28) return false;
    std::memcpy(&portBe, req.addr + 2, 2);
  } else {
    return false;
  }
  if (fd.type != SOCK_STREAM && fd.type != SOCK_DGRAM && fd.type != SOCK_SEQPACKET) return false;
  uint16_t port = ntohs(portBe);
  if (port == 0 || port >= policy.unprivilegedStart) return false;
  if (policy.ports && !policy.ports->contains(port)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  const uint8_t* h;
  if (!in.take(2, h)) return 0;
  const uint8_t flags = h[0];
  const size_t nfds = h[1] % 4;
  std::vector<broker::FdFacts> fds;
  for (size_t i = 0; i < nfds; ++i) {
    const uint8_t* f;
    if (!in.take(3, f)) return 0;
    broker::FdFacts facts;
    facts.isSocket = f[0] & 1;
    facts.domain = kDomains[f[1] % 8];
    facts.type = kTypes[f[2] % 8];
    fds.push_back(facts);
  }
  const uint8_t* s;
  if (!in.take(2, s)) return 0;
  broker::Policy policy;
  policy.uid = kServed;
  policy.unprivilegedStart = static_cast<unsigned>(s[0] | (s[1] << 8));
  if (flags & 16) {
    const uint8_t* l;
    const uint8_t* text;
    if (!in.take(2, l)) return 0;
    size_t len = (l[0] | (l[1] << 8)) % 64;
    if (!in.take(len, text)) return 0;
    auto set = ports::parse(std::string_view(reinterpret_cast<const char*>(text), len));
    if (!set) return 0;
    policy.ports = *set;
  }
  broker::Received m;
  m.bytes = std::span<const unsigned char>(in.p, in.n);
  m.truncated = flags & 1;
  m.controlTruncated = flags & 2;
  m.otherControl = flags & 4;
  m.fds = fds;
  broker::Peer peer;
  peer.pid = 1234;
  peer.uid = (flags & 8) ? kServed + 1 : kServed;

  broker::Decision d = broker::decodeRequest(m, peer, policy);
  const bool grant = referenceGrants(m, !(flags & 8), policy);
  FUZZ_CHECK((d.error == 0) == grant);
  // Answered exactly when the record brought a usable reply end, granted or not.
  FUZZ_CHECK(d.replyable == referenceReplyable(m));
  if (d.error != 0) {
    FUZZ_CHECK(d.error == EACCES || d.error == EINVAL || d.error == ENOTSOCK ||
               d.error == EAFNOSUPPORT);
    FUZZ_CHECK(!d.reason.empty());
    FUZZ_CHECK(!d.policyRefusal || d.error == EACCES);
    return 0;
  }
  // A grant binds exactly the address the app asked for, with its length and port.
  privbind_request req;
  std::memcpy(&req, m.bytes.data(), sizeof req);
  FUZZ_CHECK(d.addressLength == req.addrlen);
  FUZZ_CHECK(std::memcmp(&d.address, req.addr, req.addrlen) == 0);
  FUZZ_CHECK(d.address.ss_family == req.family);
  FUZZ_CHECK(d.port != 0 && d.port < policy.unprivilegedStart);
  FUZZ_CHECK(broker::formatAddress(d.address) != "?");
  return 0;
}
